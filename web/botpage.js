// One bot's page (#/bot/<id>): its candles with the strategy's indicator lines and its buy/sell
// markers, the open position with force-exit/force-enter, the decision log, the live orders
// (live bots: state and every fill as the exchange reported it), and the setup form.

import { get, post, put } from './api.js';
import { h, clear, panel, showError, toast, money, badge, showFieldErrors } from './ui.js';
import { candlestickChart } from './charts.js';
import { setupFields } from './strategy_form.js';

const CANDLES = 200;
/** Decision values that are prices of one candle, not indicator lines. */
const NOT_LINES = new Set(['low', 'high', 'exit_price', 'rsi', 'macd', 'macd_signal', 'macd_histogram', 'change_24h_pct']);

const when = (ms) => (ms === null || ms === undefined ? '–' : new Date(ms).toLocaleString());

/** The bot id in `#/bot/<id>`. */
export function botIdFromHash(hash = location.hash) {
  const m = hash.match(/^#\/bot\/([^/?#]+)/);
  return m ? decodeURIComponent(m[1]) : null;
}

export function mount(root, ctx) {
  const id = botIdFromHash();
  const title = h('h1', { text: 'Bot' });
  const back = h('p', {}, h('a', { href: '#/bots', text: '← All bots' }));
  const chart = panel('Price and signals');
  const position = panel('Position');
  const log = panel('Decisions');
  const orders = panel('Live orders');
  orders.el.hidden = true;
  const edit = panel('Strategy and risk');
  root.append(back, title, chart.el, position.el, orders.el, log.el, edit.el);
  if (!id) { showError(chart.body, new Error('No bot chosen')); return null; }
  const path = `/bots/${encodeURIComponent(id)}`;
  let editorFor = null;

  const act = async (what) => {
    try {
      const r = await post(`${path}/${what}`, {});
      toast(r.message || 'Done');
    } catch (err) { toast(err.message); }
    reload();
  };

  const drawPosition = (bot, pos) => {
    clear(position.body);
    const p = pos.position;
    const rows = p ? [
      ['Entry', `${money(p.entry_price, bot.pair.split('/')[1])} on ${when(p.entry_time)}`],
      ['Size', String(p.size)],
      ['Mark', pos.mark_price === null ? '–' : `${pos.mark_price} (${when(pos.mark_time)})`],
      ['Unrealised P&L', pos.unrealized_pnl === null ? '–' : pos.unrealized_pnl.toFixed(2)],
      ['Stop', pos.stop_price === null ? 'off' : pos.stop_price.toFixed(2)],
      ['Target', pos.target_price === null ? 'off' : pos.target_price.toFixed(2)],
    ] : [['Position', 'Flat']];
    if (pos.pending_order) rows.push(['Pending', `${pos.pending_order} at the next candle's open`]);
    if (pos.cooldown_left) rows.push(['Cooldown', `${pos.cooldown_left} candle(s) without entries`]);
    position.body.append(h('dl', { class: 'facts', id: 'bot-position', 'data-open': p ? 'true' : 'false' },
      ...rows.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })])));
    position.body.append(h('div', { class: 'actions' },
      p ? h('button', { type: 'button', class: 'danger', id: 'force-exit', text: 'Close position now', onclick: () => act('force-exit') })
        : h('button', { type: 'button', id: 'force-enter', text: 'Open position now', onclick: () => act('force-enter') })));
  };

  const drawChart = (bot, candles, decisions) => {
    clear(chart.body);
    const lines = new Map();
    const markers = [];
    for (const d of decisions) {
      if (d.candle_time === null || d.candle_time === undefined) continue;
      for (const [name, value] of Object.entries(d.indicators || {})) {
        if (NOT_LINES.has(name)) continue;
        if (!lines.has(name)) lines.set(name, new Map());
        lines.get(name).set(d.candle_time, value);
      }
      if (d.order_id && (d.decision === 'enter_long' || d.decision === 'exit')) {
        markers.push({ time: d.candle_time, kind: d.decision === 'exit' ? 'sell' : 'buy', label: `${d.decision}: ${d.reason}` });
      }
    }
    const series = [...lines].map(([name, values]) => ({ name, values }));
    chart.body.append(candlestickChart(candles, `${bot.pair} ${bot.timeframe} on ${bot.exchange}`, { lines: series, markers }));
    chart.body.append(h('p', { class: 'legend' },
      ...series.map((s, i) => h('span', {}, h('span', { class: `swatch swatch-${i % 4}` }), s.name)),
      h('span', { text: `${markers.length} order marker(s)` })));
  };

  const drawLog = (decisions) => {
    clear(log.body);
    if (decisions.length === 0) { log.body.append(h('p', { class: 'muted', text: 'No decisions yet: the bot decides on each closed candle once it has enough of them.' })); return; }
    log.body.append(h('div', { class: 'table-wrap' }, h('table', { id: 'decision-log' },
      h('thead', {}, h('tr', {}, ...['Candle', 'Decision', 'Reason', 'Price', 'Order'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, ...decisions.map((d) => h('tr', { 'data-decision': d.decision },
        h('td', { text: d.candle_time === null ? when(Date.parse(d.timestamp)) : when(d.candle_time) }),
        h('td', {}, badge(d.decision)), h('td', { text: d.reason }),
        h('td', { text: d.price === null ? '–' : Number(d.price).toLocaleString(undefined, { maximumSignificantDigits: 10 }) }),
        h('td', { class: 'mono', text: d.order_id ? d.order_id.slice(0, 8) : '' })))))));
  };

  const drawOrders = (bot, list) => {
    clear(orders.body);
    orders.el.hidden = bot.mode !== 'live' && list.length === 0;
    if (list.length === 0) { orders.body.append(h('p', { class: 'muted', text: 'No live orders yet.' })); return; }
    const fills = (o) => o.fills.map((f) => `${f.amount} @ ${f.price} (fee ${f.fee} ${f.fee_currency})`).join('; ') || '–';
    orders.body.append(h('div', { class: 'table-wrap' }, h('table', { id: 'live-orders' },
      h('thead', {}, h('tr', {}, ...['Sent', 'Side', 'Amount', 'State', 'Filled', 'Avg price', 'Fills', 'Client id'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, ...list.map((o) => h('tr', { 'data-state': o.state },
        h('td', { text: when(Date.parse(o.created_at)) }), h('td', { text: o.side }),
        h('td', { text: String(o.amount) }), h('td', {}, badge(o.state), o.rejection_reason ? h('span', { class: 'muted', text: ` ${o.rejection_reason}` }) : ''),
        h('td', { text: String(o.filled_amount) }),
        h('td', { text: o.average_price ? Number(o.average_price).toLocaleString(undefined, { maximumSignificantDigits: 10 }) : '–' }),
        h('td', { text: fills(o) }), h('td', { class: 'mono', text: o.client_order_id })))))));
  };

  const drawEditor = async (bot) => {
    if (editorFor === bot.id) return;
    editorFor = bot.id;
    clear(edit.body);
    try {
      const setup = await setupFields(bot);
      const form = h('form', { id: 'edit-strategy-form', novalidate: true }, setup.el,
        h('p', { class: 'muted', text: 'Pause the bot before changing its strategy, pair or timeframe; risk settings can change any time.' }),
        h('p', { class: 'error-text', id: 'edit-strategy-error', role: 'alert' }),
        h('div', { class: 'row' }, h('button', { type: 'submit', text: 'Save' })));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        form.querySelector('#edit-strategy-error').textContent = '';
        try {
          await put(path, setup.read());
          showFieldErrors(form, []);
          toast('Saved');
          editorFor = null;
          reload();
        } catch (err) {
          if (!showFieldErrors(form, err.fields || [])) form.querySelector('#edit-strategy-error').textContent = err.message;
        }
      });
      edit.body.append(form);
    } catch (err) { showError(edit.body, err); }
  };

  const reload = async () => {
    try {
      const [bot, pos, list, live] = await Promise.all([get(path), get(`${path}/position`), get(`${path}/decisions?limit=500`),
        get(`/orders/live?bot_id=${encodeURIComponent(id)}&limit=50`)]);
      ctx.stamp();
      clear(title).append(`${bot.name} `, badge(bot.status));
      const q = new URLSearchParams({ exchange: bot.exchange, pair: bot.pair, timeframe: bot.timeframe, limit: String(CANDLES) });
      const candles = (await get(`/market/candles?${q}`)).candles;
      drawChart(bot, candles, list.decisions);
      drawPosition(bot, pos);
      drawLog(list.decisions);
      drawOrders(bot, live.orders);
      drawEditor(bot);
    } catch (err) {
      showError(chart.body, err);
    }
  };

  let timer = null;
  const soon = () => { clearTimeout(timer); timer = setTimeout(reload, 150); };
  reload();
  return {
    reload,
    onEvent: (evt) => {
      if (evt.type === 'decision' || evt.type === 'trade_executed' || String(evt.type).startsWith('bot_')) soon();
    },
    unmount: () => clearTimeout(timer),
  };
}
