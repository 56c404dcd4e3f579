// Backtest page: pick a stored dataset, a strategy and its params, run, watch the progress, then
// read the equity curve against buy-and-hold, the drawdown, the metrics, the trades (also as
// markers on the candles), and turn the settings into a paper bot.

import { get, post } from './api.js';
import { h, clear, panel, showError, toast, field, showFieldErrors } from './ui.js';
import { candlestickChart, lineChart, multiLineChart } from './charts.js';
import { setupFields } from './strategy_form.js';

const num = (v, d = 2) => (v === null || v === undefined ? '–' : Number(v).toFixed(d));
const METRICS = [
  ['final_equity', 'Final equity'], ['total_return_pct', 'Return %'], ['buy_and_hold_return_pct', 'Buy & hold %'],
  ['cagr_pct', 'CAGR %'], ['max_drawdown_pct', 'Max drawdown %'], ['sharpe', 'Sharpe'], ['sortino', 'Sortino'],
  ['calmar', 'Calmar'], ['trades', 'Trades'], ['win_rate_pct', 'Win rate %'], ['profit_factor', 'Profit factor'],
  ['expectancy', 'Expectancy'], ['exposure_pct', 'Exposure %'], ['avg_trade_duration_s', 'Avg trade (s)'], ['fees_paid', 'Fees'],
];

export function mount(root, ctx) {
  root.append(h('h1', { text: 'Backtest' }));
  const setup = panel('Setup');
  const status = panel('Run');
  const results = panel('Results');
  root.append(setup.el, status.el, results.el);
  let datasets = [];
  let strategy = null;
  let lastRequest = null;
  let poll = null;

  const dataset = h('select', { id: 'bt-dataset' });
  const capital = h('input', { type: 'number', min: '1', step: 'any', value: '10000' });
  const fee = h('input', { type: 'number', min: '0', step: 'any', placeholder: 'exchange taker' });
  const slippage = h('input', { type: 'number', min: '0', step: 'any', value: '0' });
  const form = h('form', { id: 'backtest-form', novalidate: true },
    h('div', { class: 'form-grid' }, field('dataset', 'Dataset', dataset), field('initial_capital', 'Initial capital', capital),
      field('fee_bps', 'Fee (bps)', fee), field('slippage_bps', 'Slippage (bps)', slippage)),
    h('div', { id: 'bt-strategy' }, h('p', { class: 'muted', text: 'Loading strategies…' })),
    h('p', { class: 'error-text', id: 'backtest-error', role: 'alert' }),
    h('div', { class: 'row' }, h('button', { type: 'submit', id: 'run-backtest', text: 'Run backtest' })));
  setup.body.append(form);

  const load = async () => {
    try {
      datasets = await get('/market/datasets');
      clear(dataset);
      for (const d of datasets) dataset.append(h('option', { value: `${d.exchange}|${d.pair}|${d.timeframe}`, text: `${d.exchange} ${d.pair} ${d.timeframe} (${d.count} candles)` }));
      if (datasets.length === 0) dataset.append(h('option', { value: '', text: 'No datasets: import or download candles first' }));
      strategy = await setupFields();
      // A backtest reads the dataset's pair and timeframe; the setup's own are not used here.
      strategy.el.querySelectorAll('[name=pair], [name=timeframe]').forEach((s) => s.closest('.field').remove());
      clear(form.querySelector('#bt-strategy')).append(strategy.el);
    } catch (err) { showError(setup.body, err); }
  };

  const drawResults = async (job) => {
    clear(results.body);
    const m = job.metrics;
    if (!m) return;
    const req = job.request;
    const equity = job.equity.map(([t, v]) => ({ x: new Date(t), y: v }));
    const q = new URLSearchParams({ exchange: req.exchange, pair: req.pair, timeframe: req.timeframe, limit: '5000' });
    if (job.equity.length) q.set('since', String(job.equity[0][0]));
    let candles = [];
    try { candles = (await get(`/market/candles?${q}`)).candles; } catch { /* charts without candles */ }
    const first = candles.length ? candles[0][4] : null;
    const byTime = new Map(candles.map((c) => [c[0], c[4]]));
    const hold = first ? job.equity.filter(([t]) => byTime.has(t)).map(([t]) => ({ x: new Date(t), y: req.initial_capital * byTime.get(t) / first })) : [];
    results.body.append(h('h3', { text: 'Equity against buy-and-hold' }),
      multiLineChart([{ name: 'Strategy', points: equity }, { name: 'Buy and hold', points: hold }], 'Equity curve'),
      h('p', { class: 'legend' }, h('span', {}, h('span', { class: 'swatch swatch-0' }), 'Strategy'), h('span', {}, h('span', { class: 'swatch swatch-1' }), 'Buy and hold')));
    let peak = -Infinity;
    const drawdown = equity.map((p) => { peak = Math.max(peak, p.y); return { x: p.x, y: -((peak - p.y) / peak) * 100 }; });
    results.body.append(h('h3', { text: 'Drawdown %' }), lineChart(drawdown, 'Drawdown'));
    results.body.append(h('div', { class: 'table-wrap' }, h('table', { id: 'bt-metrics' }, h('tbody', {},
      ...METRICS.map(([k, label]) => h('tr', { 'data-metric': k }, h('th', { scope: 'row', text: label }), h('td', { text: k === 'trades' ? String(m[k]) : num(m[k]) })))))));
    const markers = job.trades.flatMap((t) => [
      { time: t.entry_time, kind: 'buy', label: `buy ${num(t.entry_price)}` },
      { time: t.exit_time, kind: 'sell', label: `sell ${num(t.exit_price)} (${t.exit_reason}, P&L ${num(t.pnl)})` }]);
    if (candles.length) results.body.append(h('h3', { text: 'Trades on the candles' }), candlestickChart(candles.slice(-1000), `${req.pair} ${req.timeframe}`, { markers }));
    results.body.append(h('h3', { text: `Trades (${job.trades.length})` }), h('div', { class: 'table-wrap' }, h('table', { id: 'bt-trades' },
      h('thead', {}, h('tr', {}, ...['Entry', 'Exit', 'Entry price', 'Exit price', 'Size', 'P&L', 'P&L %', 'Fees', 'Exit'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, ...job.trades.slice(0, 500).map((t) => h('tr', {},
        h('td', { text: new Date(t.entry_time).toLocaleString() }), h('td', { text: new Date(t.exit_time).toLocaleString() }),
        h('td', { text: num(t.entry_price, 4) }), h('td', { text: num(t.exit_price, 4) }), h('td', { text: num(t.size, 6) }),
        h('td', { class: t.pnl < 0 ? 'bad' : 'good', text: num(t.pnl) }), h('td', { text: num(t.pnl_pct) }),
        h('td', { text: num(t.fees) }), h('td', { text: t.exit_reason })))))));
    results.body.append(h('div', { class: 'actions' }, h('button', { type: 'button', id: 'bt-create-bot', text: 'Create a paper bot with these settings', onclick: () => createBot(req) })));
  };

  const createBot = async (req) => {
    const body = {
      name: `${req.strategy.name} ${req.pair} ${req.timeframe} ${new Date().toISOString().slice(5, 16).replace('T', ' ')}`,
      exchange: req.exchange, risk_mode: 'balanced', trading_mode: 'paper',
      initial_capital: Math.min(100000, Math.max(100, Number(req.initial_capital))),
      strategy: req.strategy, pair: req.pair, timeframe: req.timeframe,
    };
    for (const k of ['stop_loss_pct', 'take_profit_pct', 'trailing_stop_pct', 'position_size_pct', 'cooldown_candles']) if (req[k] !== undefined && req[k] !== null) body[k] = req[k];
    try {
      const bot = await post('/bots', body);
      toast(`Created ${bot.name}`);
      location.hash = `#/bot/${encodeURIComponent(bot.id)}`;
    } catch (err) { toast(err.message); }
  };

  const watch = (id) => {
    clearInterval(poll);
    const bar = h('progress', { id: 'bt-progress', max: '1', value: '0' });
    const label = h('span', { id: 'bt-status', text: 'queued' });
    clear(status.body).append(h('div', { class: 'row' }, bar, label));
    const tick = async () => {
      try {
        const job = await get(`/backtests/${encodeURIComponent(id)}`);
        bar.value = job.progress;
        label.textContent = job.status === 'failed' ? `failed: ${job.error}` : `${job.status} (${Math.round(job.progress * 100)} %)`;
        label.dataset.status = job.status;
        if (job.status !== 'queued' && job.status !== 'running') {
          clearInterval(poll);
          if (job.status === 'done') drawResults(job);
        }
      } catch (err) { clearInterval(poll); showError(status.body, err); }
    };
    poll = setInterval(tick, 400);
    tick();
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const general = form.querySelector('#backtest-error');
    general.textContent = '';
    const [exchange, pair, timeframe] = dataset.value.split('|');
    const s = strategy ? strategy.read() : {};
    const req = { exchange, pair, timeframe, strategy: s.strategy, initial_capital: Number(capital.value), slippage_bps: Number(slippage.value || 0) };
    if (fee.value !== '') req.fee_bps = Number(fee.value);
    for (const k of ['stop_loss_pct', 'take_profit_pct', 'trailing_stop_pct', 'position_size_pct', 'cooldown_candles']) if (s[k] !== undefined) req[k] = s[k];
    lastRequest = req;
    try {
      const queued = await post('/backtests', req);
      showFieldErrors(form, []);
      clear(results.body);
      watch(queued.id);
    } catch (err) {
      if (!showFieldErrors(form, err.fields || [])) general.textContent = err.message;
    }
  });

  load();
  return {
    reload: () => { if (!lastRequest) load(); },
    onEvent: () => {},
    unmount: () => clearInterval(poll),
  };
}
