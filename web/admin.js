// Admin panel: hidden on every page load; shown only to an admin after unlocking with the
// admin password. The unlock token lives in sessionStorage (this tab only) until it expires.

import { get, post } from './api.js';
import { h, clear, panel, showError, toast, time, badge } from './ui.js';

const UNLOCK = 'amarktai.adminUnlock';
let expiryTimer = null;

function stored() {
  try {
    const s = JSON.parse(sessionStorage.getItem(UNLOCK) || 'null');
    return s && s.token && s.expires_at > Date.now() ? s : null;
  } catch { return null; }
}

export function isUnlocked(me) {
  return Boolean(me && (me.role === 'admin' || me.is_admin) && stored());
}

export function reset() {
  sessionStorage.removeItem(UNLOCK);
  clearTimeout(expiryTimer);
  const nav = document.getElementById('nav-admin');
  if (nav) nav.hidden = true;
}

function lockWhenExpired(ms) {
  clearTimeout(expiryTimer);
  expiryTimer = setTimeout(() => {
    reset();
    toast('Admin unlock expired');
    if (location.hash === '#/admin') location.hash = '#/overview';
  }, Math.max(0, ms));
}

const unlockHeaders = () => ({ 'X-Admin-Unlock-Token': stored()?.token || '' });

/** Asks for the admin password (unless a live unlock token is already stored), then calls back. */
export function openUnlock(ctx, onUnlocked) {
  const s = stored();
  if (s) { lockWhenExpired(s.expires_at - Date.now()); onUnlocked(); return; }
  const input = h('input', { type: 'password', id: 'admin-password', autocomplete: 'off', required: true });
  const error = h('p', { class: 'error-text', id: 'admin-unlock-error', role: 'alert' });
  const dialog = h('dialog', { id: 'admin-unlock', 'aria-labelledby': 'admin-unlock-title', class: 'panel' });
  const form = h('form', { method: 'dialog' },
    h('h2', { id: 'admin-unlock-title', text: 'Unlock the admin panel' }),
    h('label', { for: 'admin-password', text: 'Admin password' }), input, error,
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: 'Unlock' }),
      h('button', { type: 'button', class: 'ghost', text: 'Cancel', onclick: () => dialog.close() })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const answer = await post('/admin/unlock', { password: input.value });
      const expiresAt = Date.now() + Number(answer.expires_in || 3600) * 1000;
      sessionStorage.setItem(UNLOCK, JSON.stringify({ token: answer.unlock_token, expires_at: expiresAt }));
      lockWhenExpired(expiresAt - Date.now());
      dialog.close();
      onUnlocked();
    } catch (err) {
      error.textContent = err.message;
      input.select();
    }
  });
  dialog.addEventListener('close', () => dialog.remove());
  dialog.append(form);
  document.body.append(dialog);
  dialog.showModal();
  input.focus();
}

function table(id, headers, rows) {
  return h('div', { class: 'table-wrap' }, h('table', { id },
    h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', { scope: 'col', text: t })))), h('tbody', {}, ...rows)));
}

export function mount(root, ctx) {
  root.append(h('h1', { text: 'Admin' }));
  const users = panel('Users');
  const bots = panel('Bots and overrides');
  const resources = panel('Resource usage');
  root.append(users.el, bots.el, resources.el);

  const act = async (path, body = {}, done) => {
    try {
      const answer = await post(path, body, unlockHeaders());
      done ? done(answer) : toast(answer.message || 'Done');
    } catch (err) { toast(err.message); }
    reload();
  };

  const userRow = (u) => {
    const id = encodeURIComponent(u.id);
    const button = (label, action, cls = 'ghost', done) => h('button', { type: 'button', class: cls, 'data-action': action, 'aria-label': `${label} ${u.email}`, text: label, onclick: () => act(`/admin/users/${id}/${action}`, {}, done) });
    return h('tr', { 'data-user-email': u.email },
      h('td', { text: u.email }), h('td', { text: u.first_name || '' }), h('td', { text: u.role }), h('td', {}, badge(u.status)),
      h('td', { text: u.bots_count ?? 0 }), h('td', { text: time(u.last_seen) }),
      h('td', {}, h('div', { class: 'actions' },
        u.status === 'pending' ? button('Approve', 'approve') : null,
        u.status === 'blocked' ? button('Unblock', 'unblock') : button('Block', 'block', 'danger'),
        button('Force logout', 'logout'),
        button('Reset password', 'reset-password', 'ghost', (r) => {
          const pw = r.temporary_password || r.one_time_password || r.password;
          window.alert(pw ? `One-time password for ${u.email}: ${pw}` : (r.message || 'Password reset'));
        }))));
  };

  const botRow = (b) => {
    const rules = h('input', { type: 'text', id: `override-${b.id}`, value: JSON.stringify(b.override_rules || {}), 'aria-label': `Override rules for ${b.name}` });
    const path = `/admin/bots/${encodeURIComponent(b.id)}`;
    return h('tr', {}, h('td', { text: b.name }), h('td', { text: b.email || b.user_id }), h('td', { text: b.exchange }), h('td', {}, badge(b.status)),
      h('td', {}, rules),
      h('td', {}, h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'ghost', text: 'Save override', onclick: () => {
          let parsed;
          try { parsed = JSON.parse(rules.value || '{}'); } catch { toast('Override rules must be JSON'); return; }
          act(`${path}/override`, { override_rules: parsed });
        } }),
        h('button', { type: 'button', class: 'ghost', text: 'Pause', onclick: () => act(`${path}/pause`) }),
        h('button', { type: 'button', class: 'ghost', text: 'Resume', onclick: () => act(`${path}/resume`) }))));
  };

  const reload = async () => {
    if (!isUnlocked(ctx.me)) { location.hash = '#/overview'; return; }
    const headers = unlockHeaders();
    const [u, b, r] = await Promise.allSettled([get('/admin/users', headers), get('/admin/bots', headers), get('/admin/resources/users', headers)]);
    ctx.stamp();
    if (u.status === 'fulfilled') {
      clear(users.body).append(table('admin-users', ['Email', 'Name', 'Role', 'Status', 'Bots', 'Last seen', 'Actions'], u.value.users.map(userRow)));
    } else showError(users.body, u.reason);
    if (b.status === 'fulfilled') {
      clear(bots.body).append(b.value.bots.length ? table('admin-bots', ['Bot', 'Owner', 'Exchange', 'Status', 'Override rules', 'Actions'], b.value.bots.map(botRow)) : h('p', { class: 'muted', text: 'No bots.' }));
    } else showError(bots.body, b.reason);
    if (r.status === 'fulfilled') {
      const kinds = ['chat_messages', 'trades', 'bots', 'alerts'];
      clear(resources.body).append(table('admin-resources', ['User', ...kinds.map((k) => k.replace('_', ' ')), 'Total MB'],
        r.value.users.map((row) => h('tr', {}, h('td', { text: row.email }),
          ...kinds.map((k) => h('td', { text: `${row.storage_breakdown?.[k]?.count ?? 0} (${row.storage_breakdown?.[k]?.size_mb ?? 0} MB)` })),
          h('td', { text: row.total_storage_mb })))));
    } else showError(resources.body, r.reason);
  };
  reload();
  return { reload, onEvent: (evt) => { if (String(evt.type).startsWith('bot_')) reload(); } };
}
