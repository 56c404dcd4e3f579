// System: per-user trading mode switches, the emergency stop; and the alerts screen.

import { get, put, post, del } from './api.js';
import { h, clear, panel, showError, toast, time } from './ui.js';
import { debounce } from './bots.js';

const MODES = [['paperTrading', 'Paper trading'], ['liveTrading', 'Live trading'], ['autopilot', 'Autopilot']];

export function mount(root, ctx) {
  root.append(h('h1', { text: 'System' }));
  const modes = panel('Trading modes');
  const stop = panel('Emergency stop');
  root.append(modes.el, stop.el);

  const reload = async () => {
    try {
      const answer = await get('/system/mode');
      ctx.stamp();
      clear(modes.body);
      for (const [key, label] of MODES) {
        const box = h('input', { type: 'checkbox', id: `mode-${key}`, checked: Boolean(answer.modes?.[key]) });
        box.addEventListener('change', async () => {
          try { await put('/system/mode', { mode: key, enabled: box.checked }); toast(`${label} ${box.checked ? 'on' : 'off'}`); } catch (err) { toast(err.message); box.checked = !box.checked; }
        });
        modes.body.append(h('div', { class: 'row' }, box, h('label', { for: box.id, text: label })));
      }
    } catch (err) { showError(modes.body, err); }
    try {
      const status = await get('/system/emergency-stop/status');
      clear(stop.body);
      if (status.active) {
        stop.body.append(h('p', { class: 'bad', text: `Emergency stop is ON${status.reason ? `: ${status.reason}` : ''} (since ${time(status.activated_at)})` }),
          h('button', { type: 'button', id: 'emergency-off', text: 'Lift emergency stop', onclick: async () => {
            try { const r = await post('/system/emergency-stop/disable', {}); toast(r.message || 'Lifted'); } catch (err) { toast(err.message); }
            reload();
          } }));
      } else {
        stop.body.append(h('p', { text: 'Pauses every one of your bots at once.' }),
          h('button', { type: 'button', class: 'danger emergency', id: 'emergency-on', text: 'EMERGENCY STOP', onclick: async () => {
            if (!window.confirm('Pause all your bots now?')) return;
            try { const r = await post('/system/emergency-stop', { reason: 'Dashboard emergency stop' }); toast(r.message || 'Stopped'); } catch (err) { toast(err.message); }
            reload();
          } }));
      }
    } catch (err) { showError(stop.body, err); }
  };
  const soon = debounce(reload);
  reload();
  return { reload, onEvent: (evt) => { if (evt.type === 'system_mode_update' || evt.type === 'emergency_stop') soon(); } };
}

export function mountAlerts(root, ctx) {
  root.append(h('h1', { text: 'Alerts' }));
  const box = panel(null);
  root.append(box.el);
  const reload = async () => {
    try {
      const answer = await get('/alerts');
      ctx.stamp();
      const alerts = Array.isArray(answer) ? answer : answer.alerts || [];
      clear(box.body);
      box.body.append(h('div', { class: 'actions' }, h('button', { type: 'button', class: 'ghost', text: 'Clear all', onclick: async () => {
        try { await del('/alerts/clear'); } catch (err) { toast(err.message); }
        reload();
      } })));
      if (!alerts.length) { box.body.append(h('p', { class: 'muted', text: 'No alerts.' })); return; }
      box.body.append(h('ul', {}, ...alerts.map((a) => h('li', {},
        h('strong', { text: `${a.severity || a.level || 'info'}: ` }), a.message || a.title || '', ' ',
        h('span', { class: 'muted', text: time(a.created_at || a.timestamp) }), ' ',
        a.acknowledged ? h('span', { class: 'muted', text: '(acknowledged)' })
          : h('button', { type: 'button', class: 'ghost', text: 'Acknowledge', onclick: async () => {
            try { await post(`/alerts/ack/${encodeURIComponent(a.id)}`, {}); } catch (err) { toast(err.message); }
            reload();
          } })))));
    } catch (err) { showError(box.body, err); }
  };
  const soon = debounce(reload);
  reload();
  return { reload, onEvent: (evt) => { if (evt.type === 'alert') soon(); } };
}
