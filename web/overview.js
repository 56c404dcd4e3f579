// Overview: equity, today's P&L, bot counts, equity curve and profit-per-day charts.

import { get } from './api.js';
import { h, clear, panel, showError, money } from './ui.js';
import { lineChart, barChart } from './charts.js';
import { debounce } from './bots.js';

/** Equity points from the analytics answer, whatever the field names of the point objects. */
export function equityPoints(answer) {
  const raw = (answer && (answer.equity_curve || answer.points || answer.series || answer.data)) || [];
  return raw.map((p) => ({
    x: new Date(p.timestamp || p.time || p.date || p.period_start || p.t),
    y: Number(p.equity ?? p.value ?? p.balance ?? p.y),
  })).filter((p) => !Number.isNaN(p.x.getTime()) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
}

function stat(label, value, cls = '') {
  return h('div', { class: 'panel' }, h('div', { class: 'muted', text: label }), h('div', { class: `stat ${cls}`, text: value }));
}

export function mount(root, ctx) {
  root.append(h('h1', { text: 'Overview' }));
  const stats = h('div', { class: 'grid', id: 'overview-stats' });
  const equity = panel('Equity curve (30 days)');
  const profits = panel('Profit per day');
  root.append(stats, equity.el, profits.el);

  const reload = async () => {
    const cur = ctx.currency;
    const [summary, bots, profitSeries] = await Promise.allSettled([
      get('/portfolio/summary'), get('/bots'), get('/profits?period=daily&limit=30')]);
    ctx.stamp();
    clear(stats);
    const today = profitSeries.status === 'fulfilled' ? (profitSeries.value.series || []).slice(-1)[0] : null;
    if (summary.status === 'fulfilled') {
      const s = summary.value;
      stats.append(stat('Equity', money(s.equity, cur)), stat('Net P&L', money(s.net_pnl, cur), s.net_pnl < 0 ? 'bad' : 'good'));
    } else {
      const box = h('div', { class: 'panel' }, h('div', { class: 'muted', text: 'Equity' }));
      showError(box.appendChild(h('div')), summary.reason);
      stats.append(box);
    }
    stats.append(stat("Today's P&L", today ? money(today.profit, cur) : '–', today && today.profit < 0 ? 'bad' : 'good'));
    if (bots.status === 'fulfilled') {
      const list = bots.value;
      stats.append(stat('Active bots', `${list.filter((b) => b.status === 'active').length} / ${list.length}`));
    }
    try {
      clear(equity.body).append(lineChart(equityPoints(await get('/analytics/equity?range=30d')), 'Equity over the last 30 days'));
    } catch (err) { showError(equity.body, err); }
    clear(profits.body);
    if (profitSeries.status === 'fulfilled') {
      const bars = (profitSeries.value.series || []).map((p) => ({ label: String(p.period_start).slice(0, 10), value: Number(p.profit) || 0 }));
      profits.body.append(barChart(bars, 'Profit per day'));
    } else showError(profits.body, profitSeries.reason);
  };
  const soon = debounce(reload, 500);
  reload();
  return {
    reload,
    onEvent: (evt) => { if (/^(trade_|profit_|overview_|bot_)/.test(evt.type)) soon(); },
  };
}
