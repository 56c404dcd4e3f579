// Platforms: one card per exchange with bot counts; choosing one lists that platform's bots.

import { get } from './api.js';
import { h, clear, panel, showError, money, badge } from './ui.js';
import { actionButtons, runAction, debounce } from './bots.js';

export function mount(root, ctx) {
  root.append(h('h1', { text: 'Platforms' }));
  const cards = h('div', { class: 'grid', id: 'platform-cards' });
  const detail = panel('Choose a platform');
  root.append(cards, detail.el);
  let chosen = null;

  const showBots = async (platform, name) => {
    chosen = { platform, name };
    cards.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.platform === platform)));
    detail.el.querySelector('h2').textContent = `${name} bots`;
    try {
      const answer = await get(`/platforms/${encodeURIComponent(platform)}/bots`);
      clear(detail.body);
      if (!answer.bots.length) { detail.body.append(h('p', { class: 'muted', text: 'No bots on this platform.' })); return; }
      detail.body.append(h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ...['Name', 'Status', 'Profit', 'Today', 'Trades', 'Actions'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, ...answer.bots.map((b) => h('tr', { 'data-bot-id': b.id },
          h('td', { text: b.name }), h('td', {}, badge(b.status)), h('td', { text: money(b.total_profit, ctx.currency) }),
          h('td', { text: money(b.profit_today, ctx.currency) }), h('td', { text: b.total_trades }),
          h('td', {}, h('div', { class: 'actions' }, ...actionButtons(b, (bot, a) => runAction(bot, a, reload))))))))));
    } catch (err) { showError(detail.body, err); }
  };

  const reload = async () => {
    try {
      const answer = await get('/platforms/summary');
      ctx.stamp();
      clear(cards);
      for (const p of answer.platforms) {
        cards.append(h('button', { type: 'button', class: 'card-button panel', 'data-platform': p.platform, 'aria-pressed': String(chosen?.platform === p.platform), onclick: () => showBots(p.platform, p.display_name) },
          h('h2', { text: p.display_name }),
          h('div', { text: `${p.active_bots} active / ${p.total_bots} bots (max ${p.max_bots})` }),
          h('div', { class: 'muted', text: `Profit ${money(p.total_profit, ctx.currency)}` })));
      }
      if (chosen) showBots(chosen.platform, chosen.name);
    } catch (err) { showError(cards, err); }
  };
  const soon = debounce(reload);
  reload();
  return { reload, onEvent: (evt) => { if (String(evt.type).startsWith('bot_')) soon(); } };
}
