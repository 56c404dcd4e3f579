// Bots screen (list, status-machine buttons, create form, delete) and the live training bay tab.

import { get, post, del } from './api.js';
import { h, clear, panel, showError, toast, money, pct, badge, field, showFieldErrors, select } from './ui.js';
import { setupFields } from './strategy_form.js';

const EXCHANGES = [['luno', 'Luno'], ['binance', 'Binance'], ['kucoin', 'KuCoin'], ['valr', 'VALR'], ['ovex', 'OVEX']];
// Which field a create-bot error code is about, so the message sits next to it.
const CODE_FIELD = {
  INVALID_EXCHANGE: 'exchange', EXCHANGE_BOT_LIMIT_REACHED: 'exchange', INVALID_CAPITAL_AMOUNT: 'initial_capital',
  BOT_NAME_DUPLICATE: 'name', EXCHANGE_API_KEYS_MISSING: 'trading_mode', INVALID_RISK_MODE: 'risk_mode',
};

/** Debounces a reload so a burst of events costs one fetch. */
export function debounce(fn, ms = 150) {
  let t = null;
  return () => { clearTimeout(t); t = setTimeout(fn, ms); };
}

/** The action buttons a bot allows, from the server's status machine flags. */
export function actionButtons(bot, onAction) {
  const buttons = [];
  const add = (flag, action, label) => {
    if (bot[flag]) buttons.push(h('button', { type: 'button', class: 'ghost', 'data-action': action, 'aria-label': `${label} ${bot.name}`, text: label, onclick: () => onAction(bot, action) }));
  };
  add('can_start', 'start', 'Start');
  add('can_pause', 'pause', 'Pause');
  add('can_resume', 'resume', 'Resume');
  add('can_stop', 'stop', 'Stop');
  return buttons;
}

export async function runAction(bot, action, after) {
  try {
    const answer = await post(`/bots/${encodeURIComponent(bot.id)}/${action}`, {});
    if (answer && answer.success === false) toast(answer.message || `Could not ${action} the bot`);
  } catch (err) {
    toast(err.message);
  }
  after();
}

/** Bots with their can_* flags merged in from `/api/platforms/{platform}/bots`. */
async function loadBots() {
  const bots = await get('/bots');
  const exchanges = [...new Set(bots.map((b) => b.exchange))];
  const flags = new Map();
  await Promise.all(exchanges.map(async (ex) => {
    try {
      const answer = await get(`/platforms/${encodeURIComponent(ex)}/bots`);
      for (const b of answer.bots || []) flags.set(b.id, b);
    } catch { /* buttons fall back to none for that platform */ }
  }));
  return bots.map((b) => ({ ...b, ...(flags.get(b.id) || {}), status: b.status }));
}

export function mount(root, ctx) {
  root.append(h('h1', { text: 'Bots' }));
  const list = panel('Your bots');
  const create = panel('Create a bot');
  root.append(list.el, create.el);

  const reload = async () => {
    try {
      const bots = await loadBots();
      ctx.stamp();
      clear(list.body);
      if (bots.length === 0) { list.body.append(h('p', { class: 'muted', text: 'No bots yet: create one below.' })); return; }
      const rows = bots.map((b) => h('tr', { 'data-bot-id': b.id, 'data-bot-name': b.name },
        h('td', {}, h('a', { href: `#/bot/${encodeURIComponent(b.id)}`, class: 'bot-link', text: b.name })),
        h('td', { text: b.exchange }), h('td', { text: b.trading_mode || b.mode }),
        h('td', { class: 'strategy-cell', text: `${b.strategy?.name || ''} ${b.pair || ''} ${b.timeframe || ''}` }),
        h('td', { class: 'status-cell' }, badge(b.status)),
        h('td', { text: money(b.current_capital, ctx.currency) }),
        h('td', { class: Number(b.total_profit) < 0 ? 'bad' : 'good', text: money(b.total_profit, ctx.currency) }),
        h('td', { text: pct(b.win_rate) }),
        h('td', {}, h('div', { class: 'actions' }, ...actionButtons(b, (bot, a) => runAction(bot, a, reload)),
          h('button', { type: 'button', class: 'danger', 'data-action': 'delete', 'aria-label': `Delete ${b.name}`, text: 'Delete', onclick: () => remove(b) })))));
      list.body.append(h('div', { class: 'table-wrap' }, h('table', { id: 'bots-table' },
        h('thead', {}, h('tr', {}, ...['Name', 'Exchange', 'Mode', 'Strategy', 'Status', 'Capital', 'Profit', 'Win rate', 'Actions'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, ...rows))));
    } catch (err) {
      showError(list.body, err);
    }
  };

  const remove = async (bot) => {
    if (!window.confirm(`Delete bot "${bot.name}"? This cannot be undone.`)) return;
    try { await del(`/bots/${encodeURIComponent(bot.id)}`); toast(`Deleted ${bot.name}`); } catch (err) { toast(err.message); }
    reload();
  };

  const form = h('form', { id: 'create-bot-form', novalidate: true },
    h('div', { class: 'form-grid' },
      field('name', 'Name', h('input', { type: 'text', required: true, maxlength: '100' })),
      field('exchange', 'Exchange', select(EXCHANGES, 'luno')),
      field('risk_mode', 'Risk', select([['safe', 'Safe'], ['balanced', 'Balanced'], ['risky', 'Risky'], ['aggressive', 'Aggressive']], 'balanced')),
      field('trading_mode', 'Mode', select([['paper', 'Paper'], ['live', 'Live']], 'paper')),
      field('initial_capital', 'Initial capital (100 – 100 000)', h('input', { type: 'number', min: '100', max: '100000', step: 'any', value: '1000', required: true }))),
    h('div', { id: 'create-bot-setup' }, h('p', { class: 'muted', text: 'Loading strategies…' })),
    h('p', { class: 'error-text', id: 'create-bot-error', role: 'alert' }),
    h('div', { class: 'row' }, h('button', { type: 'submit', text: 'Create bot' })));
  let setup = null;
  setupFields().then((s) => { setup = s; clear(form.querySelector('#create-bot-setup')).append(s.el); })
    .catch((err) => showError(form.querySelector('#create-bot-setup'), err));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const general = form.querySelector('#create-bot-error');
    general.textContent = '';
    const body = {};
    for (const k of ['name', 'exchange', 'risk_mode', 'trading_mode', 'initial_capital']) body[k] = data.get(k);
    body.initial_capital = Number(body.initial_capital);
    if (setup) Object.assign(body, setup.read());
    try {
      const bot = await post('/bots', body);
      showFieldErrors(form, []);
      form.reset();
      toast(`Created ${bot.name}`);
      setupFields().then((s) => { setup = s; clear(form.querySelector('#create-bot-setup')).append(s.el); });
      reload();
    } catch (err) {
      const fields = err.fields.length ? err.fields : (CODE_FIELD[err.code] ? [{ field: CODE_FIELD[err.code], message: err.message }] : []);
      if (!showFieldErrors(form, fields)) general.textContent = err.message;
    }
  });
  create.body.append(form);

  const soon = debounce(reload);
  reload();
  return {
    reload,
    onEvent: (evt) => { if (String(evt.type).startsWith('bot_') || evt.type === 'emergency_stop') soon(); },
  };
}

function countdown(deadline) {
  const left = Math.max(0, deadline - Date.now());
  const s = Math.floor(left / 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

export function mountTraining(root, ctx) {
  root.append(h('h1', { text: 'Live training bay' }));
  const bay = panel(null);
  root.append(bay.el);
  let ticker = null;

  const reload = async () => {
    try {
      const answer = await get('/training/live-bay');
      ctx.stamp();
      clear(bay.body);
      bay.body.append(h('p', { class: 'muted', text: `Live bots train for ${answer.min_training_hours} h before they may trade. ${answer.ready_for_promotion || 0} of ${answer.total || 0} ready.` }));
      const bots = answer.quarantine_bots || [];
      if (bots.length === 0) { bay.body.append(h('p', { text: 'No bots in the training bay.' })); return; }
      const loadedAt = Date.now();
      const rows = bots.map((b) => {
        const deadline = loadedAt + Number(b.hours_remaining || 0) * 3600 * 1000;
        const cell = h('td', { class: 'countdown', 'data-deadline': deadline, text: countdown(deadline) });
        const promote = b.eligible_for_promotion
          ? h('button', { type: 'button', 'data-action': 'promote', text: 'Promote', onclick: async () => {
            try {
              const r = await post(`/training/${encodeURIComponent(b.id)}/promote`, {});
              toast(r.message || (r.success ? 'Promoted' : 'Not yet eligible'));
            } catch (err) { toast(err.message); }
            reload();
          } })
          : h('span', { class: 'muted', text: 'Training' });
        return h('tr', { 'data-bot-id': b.id }, h('td', { text: b.name }), h('td', { text: b.exchange }), cell,
          h('td', { text: money(b.total_profit, ctx.currency) }), h('td', { text: b.trades_count ?? 0 }), h('td', {}, promote));
      });
      bay.body.append(h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ...['Name', 'Exchange', 'Time left', 'Profit', 'Trades', ''].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, ...rows))));
    } catch (err) {
      showError(bay.body, err);
    }
  };
  ticker = setInterval(() => {
    root.querySelectorAll('.countdown').forEach((c) => { c.textContent = countdown(Number(c.dataset.deadline)); });
  }, 1000);
  const soon = debounce(reload);
  reload();
  return {
    reload,
    onEvent: (evt) => { if (String(evt.type).startsWith('bot_')) soon(); },
    unmount: () => clearInterval(ticker),
  };
}
