// Dashboard entry: session, hash router, screens, realtime wiring, logout.

import { get, post, token, refreshToken, setUnauthorizedHandler } from './api.js';
import { Realtime } from './realtime.js';
import { renderAuth } from './auth.js';
import { clear, toast } from './ui.js';
import * as overview from './overview.js';
import * as bots from './bots.js';
import * as platforms from './platforms.js';
import * as markets from './markets.js';
import * as botpage from './botpage.js';
import * as backtest from './backtest.js';
import * as keys from './keys.js';
import * as chat from './chat.js';
import * as system from './system.js';
import * as admin from './admin.js';

const SCREENS = {
  overview: overview.mount,
  bots: bots.mount,
  training: bots.mountTraining,
  platforms: platforms.mount,
  markets: markets.mount,
  bot: botpage.mount,
  backtest: backtest.mount,
  keys: keys.mount,
  chat: chat.mount,
  system: system.mount,
  alerts: system.mountAlerts,
  admin: admin.mount,
};

const $ = (id) => document.getElementById(id);
const ctx = { me: null, currency: 'ZAR', screen: null, navigate };
let current = null;
let pollTimer = null;
let live = false;

const realtime = new Realtime({
  tokenFn: token,
  onEvent: (evt) => {
    stamp();
    if (evt.type === 'force_refresh') { reloadScreen(); return; }
    if (evt.type === 'ping' || evt.type === 'pong' || evt.type === 'heartbeat' || evt.type === 'connection') return;
    if (evt.type === 'alert') toast(evt.alert?.message || evt.message || 'New alert');
    if (current && current.onEvent) current.onEvent(evt);
  },
  onState: (state, via) => {
    live = state === 'live';
    const el = $('conn');
    el.className = `conn conn-${state}`;
    el.dataset.state = state;
    el.dataset.via = via || '';
    el.textContent = state === 'live' ? `Live (${via})` : state === 'connecting' ? `Connecting… ${via || ''}`.trim() : `Offline${via ? ` (${via})` : ''}`;
  },
});

function stamp() {
  $('last-update').textContent = `Last update: ${new Date().toLocaleTimeString()}`;
}
ctx.stamp = stamp;

function reloadScreen() {
  if (current && current.reload) current.reload();
}

function navigate(name) {
  if (location.hash !== `#/${name}`) location.hash = `#/${name}`;
  else route();
}

function route() {
  if (!ctx.me) return;
  let name = (location.hash.match(/^#\/(\w+)/) || [])[1] || 'overview';
  // The admin screen exists only for an admin who unlocked it in this tab.
  if (name === 'admin' && !admin.isUnlocked(ctx.me)) name = 'overview';
  if (!SCREENS[name]) name = 'overview';
  if (current && current.unmount) current.unmount();
  document.querySelectorAll('.nav a').forEach((a) => {
    if (a.dataset.screen === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  const root = clear($('screen'));
  ctx.screen = name;
  current = SCREENS[name](root, ctx) || null;
  root.focus();
}

async function enterApp() {
  try {
    ctx.me = await get('/auth/me');
  } catch {
    logout(false);
    return;
  }
  ctx.currency = ctx.me.currency || 'ZAR';
  $('auth-view').hidden = true;
  $('app-view').hidden = false;
  $('logout').hidden = false;
  $('whoami').textContent = ctx.me.first_name || ctx.me.email;
  // Hidden on every load; only an admin gets the button that asks for the admin password.
  $('nav-admin').hidden = true;
  $('admin-open').hidden = !(ctx.me.role === 'admin' || ctx.me.is_admin);
  realtime.start();
  clearInterval(pollTimer);
  // Without a realtime connection the current screen refreshes itself now and then.
  pollTimer = setInterval(() => { if (!live) { reloadScreen(); } }, 20000);
  stamp();
  route();
}

/** Clears everything this tab knows: tokens, storage, chat view, admin state. */
async function logout(tellServer = true) {
  if (tellServer && token()) {
    try { await post('/auth/logout', refreshToken() ? { refresh_token: refreshToken() } : {}); } catch { /* best effort */ }
  }
  realtime.stop();
  clearInterval(pollTimer);
  if (current && current.unmount) current.unmount();
  current = null;
  ctx.me = null;
  localStorage.clear();
  sessionStorage.clear();
  admin.reset();
  chat.reset();
  clear($('screen'));
  $('app-view').hidden = true;
  $('logout').hidden = true;
  $('admin-open').hidden = true;
  $('nav-admin').hidden = true;
  $('whoami').textContent = '';
  $('last-update').textContent = 'Last update: never';
  history.replaceState(null, '', location.pathname);
  showAuth();
}

function showAuth() {
  $('auth-view').hidden = false;
  renderAuth($('auth-view'), enterApp);
}

function applyTheme(theme) {
  if (theme) document.documentElement.dataset.theme = theme;
}

function init() {
  applyTheme(localStorage.getItem('amarktai.theme'));
  $('theme-toggle').addEventListener('click', () => {
    const dark = document.documentElement.dataset.theme
      ? document.documentElement.dataset.theme === 'dark'
      : matchMedia('(prefers-color-scheme: dark)').matches;
    const next = dark ? 'light' : 'dark';
    applyTheme(next);
    localStorage.setItem('amarktai.theme', next);
  });
  $('logout').addEventListener('click', () => logout(true));
  $('admin-open').addEventListener('click', () => admin.openUnlock(ctx, () => {
    $('nav-admin').hidden = false;
    navigate('admin');
  }));
  setUnauthorizedHandler(() => { toast('Your session ended; please log in again'); logout(false); });
  window.addEventListener('hashchange', route);
  if (token()) enterApp(); else showAuth();
}

init();
