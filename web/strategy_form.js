// Strategy picker with parameter fields built from GET /api/strategies, plus pair, timeframe and
// risk exits: shared by the create-bot form and the bot page's edit form.

import { get } from './api.js';
import { h, clear, field, select } from './ui.js';

export const PAIRS = ['BTC/ZAR', 'ETH/ZAR', 'XRP/ZAR', 'SOL/ZAR', 'BTC/USDT', 'ETH/USDT', 'XRP/USDT', 'SOL/USDT'];
export const TIMEFRAMES = ['1m', '5m', '15m', '30m', '1h', '4h', '1d'];
const RISK = [
  ['stop_loss_pct', 'Stop-loss %'], ['take_profit_pct', 'Take-profit %'], ['trailing_stop_pct', 'Trailing stop %'],
  ['position_size_pct', 'Position size %'], ['cooldown_candles', 'Cooldown (candles)'],
];

let catalog = null;
/** The built-in strategies (fetched once per page load). */
export async function strategies() {
  if (!catalog) catalog = get('/strategies').catch((err) => { catalog = null; throw err; });
  return catalog;
}

/**
 * Form fields for a bot's setup. `bot` (optional) pre-fills them. `read()` gives the request
 * fields: `{strategy: {name, params}, pair, timeframe, ...risk}`; risk fields left empty are
 * omitted (the risk mode's defaults apply).
 */
export async function setupFields(bot) {
  const list = (await strategies()).strategies;
  const chosen = bot?.strategy?.name || 'sma_cross';
  const picker = select(list.map((s) => [s.name, s.title]), chosen);
  const params = h('div', { class: 'param-fields' });
  const help = h('p', { class: 'muted', id: 'strategy-help' });
  const render = (values = {}) => {
    clear(params);
    const info = list.find((s) => s.name === picker.value);
    help.textContent = info ? info.description : '';
    for (const p of info ? info.params : []) {
      const input = h('input', { type: 'number', step: p.type === 'int' ? '1' : 'any', min: String(p.min), max: String(p.max),
        value: String(values[p.name] ?? p.default), 'data-param': p.name, title: p.description });
      params.append(field(`strategy.params.${p.name}`, `${p.name} (${p.min}–${p.max})`, input));
    }
  };
  picker.addEventListener('change', () => render());
  render(bot?.strategy?.name === chosen ? bot.strategy.params : {});
  const pair = select(PAIRS.map((p) => [p, p]), bot?.pair || '');
  if (!bot) pair.prepend(h('option', { value: '', text: 'Exchange default', selected: true }));
  const timeframe = select(TIMEFRAMES.map((t) => [t, t]), bot?.timeframe || '1h');
  const risk = RISK.map(([name, label]) => field(name, label, h('input', { type: 'number', step: 'any', min: '0',
    value: bot?.params?.[name] ?? '', 'data-risk': name })));
  const el = h('div', { class: 'form-grid strategy-fields' },
    field('strategy.name', 'Strategy', picker), params,
    field('pair', 'Pair', pair), field('timeframe', 'Timeframe', timeframe), ...risk);
  const read = () => {
    const out = { strategy: { name: picker.value, params: {} }, timeframe: timeframe.value };
    if (pair.value) out.pair = pair.value;
    params.querySelectorAll('[data-param]').forEach((i) => { if (i.value !== '') out.strategy.params[i.dataset.param] = Number(i.value); });
    el.querySelectorAll('[data-risk]').forEach((i) => { if (i.value !== '') out[i.dataset.risk] = Number(i.value); });
    return out;
  };
  return { el: h('div', {}, el, help), read };
}
