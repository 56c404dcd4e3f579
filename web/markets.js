// Markets: the stored candle datasets and a candlestick chart of the chosen one.

import { get } from './api.js';
import { h, clear, panel, showError } from './ui.js';
import { candlestickChart } from './charts.js';

const SHOWN = 200;

/** A dataset bound as epoch ms, whether the server sent a number or an RFC 3339 string. */
const ms = (v) => (typeof v === 'number' ? v : Date.parse(v));

export function mount(root, ctx) {
  root.append(h('h1', { text: 'Markets' }));
  const picker = h('select', { id: 'market-dataset', 'aria-label': 'Dataset' });
  const limit = h('select', { id: 'market-limit', 'aria-label': 'Candles shown' },
    ...[100, SHOWN, 500, 1000].map((n) => h('option', { value: String(n), text: `${n} candles`, selected: n === SHOWN })));
  const chart = panel('Price');
  const list = panel('Datasets');
  root.append(h('div', { class: 'actions' }, picker, limit), chart.el, list.el);
  let datasets = [];

  const key = (d) => `${d.exchange}|${d.pair}|${d.timeframe}`;

  const draw = async () => {
    const chosen = datasets.find((d) => key(d) === picker.value);
    clear(chart.body);
    if (!chosen) { chart.body.append(h('p', { class: 'muted', text: 'No market data stored yet: import or download candles with `amarktai data`.' })); return; }
    chart.el.querySelector('h2').textContent = `${chosen.pair} on ${chosen.exchange} (${chosen.timeframe})`;
    try {
      // The newest N candles: ask from where N candles before the last one start.
      const [first, last] = [ms(chosen.first), ms(chosen.last)];
      const span = chosen.count > 1 ? (last - first) / (chosen.count - 1) : 0;
      const since = Math.max(first, last - span * (Number(limit.value) - 1));
      const q = new URLSearchParams({ exchange: chosen.exchange, pair: chosen.pair, timeframe: chosen.timeframe,
        since: String(Math.floor(since)), limit: limit.value });
      const answer = await get(`/market/candles?${q}`);
      chart.body.append(candlestickChart(answer.candles, `${chosen.pair} ${chosen.timeframe} candles`));
    } catch (err) { showError(chart.body, err); }
  };

  const reload = async () => {
    try {
      datasets = await get('/market/datasets');
      ctx.stamp();
      const before = picker.value;
      clear(picker);
      for (const d of datasets) picker.append(h('option', { value: key(d), text: `${d.exchange} ${d.pair} ${d.timeframe}` }));
      if (datasets.some((d) => key(d) === before)) picker.value = before;
      clear(list.body);
      list.body.append(h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ...['Exchange', 'Pair', 'Timeframe', 'First', 'Last', 'Candles', 'Gaps'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, ...datasets.map((d) => h('tr', { 'data-dataset': key(d) },
          h('td', { text: d.exchange }), h('td', { text: d.pair }), h('td', { text: d.timeframe }),
          h('td', { text: new Date(ms(d.first)).toLocaleString() }), h('td', { text: new Date(ms(d.last)).toLocaleString() }),
          h('td', { text: d.count }), h('td', { text: d.gaps })))))));
      await draw();
    } catch (err) { showError(list.body, err); }
  };
  picker.addEventListener('change', draw);
  limit.addEventListener('change', draw);
  reload();
  return { reload };
}
