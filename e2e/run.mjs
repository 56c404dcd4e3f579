// Browser end-to-end tests of the built-in dashboard: playwright-core drives the system Chromium
// against a freshly spawned server. Prints "N passed, N failed, N skipped"; exit 1 on any failure.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from './server.mjs';
import { fakeOpenAi, fakeLuno } from './fakes.mjs';
import { mockedSteps } from './mocked.mjs';
import { step, expect, shot, newPage, login, waitStatus, routeExists, results, problems, setBase } from './harness.mjs';

const ADMIN_EMAIL = 'admin@example.com';
const ADMIN_LOGIN_PASSWORD = 'AdminLogin123';
const ADMIN_UNLOCK_PASSWORD = 'unlock-e2e-secret';
const USER = { name: 'Eve', email: `eve${Date.now()}@example.com`, password: 'Passw0rdE2E' };

let browser;
let server;
const fakes = [];

async function main() {
  const openai = await fakeOpenAi();
  const luno = await fakeLuno();
  fakes.push(openai.server, luno.server);
  server = await startServer({
    ADMIN_PASSWORD: ADMIN_UNLOCK_PASSWORD, ADMIN_BOOTSTRAP_PASSWORD: ADMIN_LOGIN_PASSWORD, E2E_ADMIN_EMAIL: ADMIN_EMAIL,
    // Many logins of one user from one IP within a minute is this suite, not an attack.
    LOGIN_RATE_LIMIT_ATTEMPTS: '100',
    OPENAI_BASE_URL: `${openai.url}/v1`, OPENAI_API_KEY: 'sk-e2e-fake', LUNO_BASE_URL: luno.url,
  });
  setBase(server.base);
  console.log(`server ${server.bin} at ${server.base}`);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await newPage(context);
  const wsAvailable = await routeExists('/api/ws');

  await step('login page renders with no inline code allowed', async () => {
    await page.goto(server.base + '/');
    await page.waitForSelector('#login-form');
    await shot(page, '01-login');
  });

  await step('register shows the server validation message, then signs in', async () => {
    await page.click('#tab-register');
    await page.fill('#reg-name', USER.name);
    await page.fill('#reg-email', USER.email);
    await page.fill('#reg-password', 'short');
    await page.click('#register-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#register-form [data-error-for=password]')?.textContent
      || document.querySelector('#auth-message')?.textContent);
    await shot(page, '02-register-error');
    await page.fill('#reg-password', USER.password);
    await page.click('#register-form button[type=submit]');
    await page.waitForSelector('#app-view:not([hidden])');
    await page.waitForSelector('h1:text("Overview")');
    expect((await page.textContent('#whoami')) === USER.name, 'name shown in the header');
    expect(await page.evaluate(() => Boolean(localStorage.getItem('amarktai.token'))), 'token stored');
  });

  await step('overview renders stats and both charts from the real API', async () => {
    await page.waitForSelector('#overview-stats .panel');
    await page.waitForFunction(() => document.querySelectorAll('main .panel-body svg').length >= 2);
    const problems = await page.$$('main .unavailable, main .error-text');
    expect(problems.length === 0, 'no panel reports a missing route or an error');
    const stats = await page.textContent('#overview-stats');
    expect(stats.includes('Equity') && stats.includes("Today's P&L") && stats.includes('0 / 0'), `stats: ${stats}`);
    await shot(page, '03-overview');
  });

  await step('create-bot form shows server messages next to the field, then creates', async () => {
    await page.click('nav a[data-screen=bots]');
    await page.waitForSelector('#create-bot-form');
    await page.fill('#f-name', 'E2E Bot');
    await page.fill('#f-initial_capital', '5');
    await page.click('#create-bot-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#create-bot-form [data-error-for=initial_capital]')?.textContent.length > 0);
    await page.fill('#f-name', 'E2E Bot');
    await page.fill('#f-initial_capital', '1000');
    await page.click('#create-bot-form button[type=submit]');
    await waitStatus(page, 'E2E Bot', 'active');
    await page.fill('#f-name', 'E2E Bot');
    await page.fill('#f-initial_capital', '1000');
    await page.click('#create-bot-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#create-bot-form [data-error-for=name]')?.textContent.length > 0);
    await shot(page, '04-bots');
  });

  await step('status buttons follow the status machine', async () => {
    const row = 'tr[data-bot-name="E2E Bot"]';
    expect(!(await page.$(`${row} [data-action=start]`)), 'no Start on an active bot');
    await page.click(`${row} [data-action=pause]`);
    await waitStatus(page, 'E2E Bot', 'paused');
    await page.click(`${row} [data-action=resume]`);
    await waitStatus(page, 'E2E Bot', 'active');
    await page.click(`${row} [data-action=stop]`);
    await waitStatus(page, 'E2E Bot', 'stopped');
    await page.click(`${row} [data-action=start]`);
    await waitStatus(page, 'E2E Bot', 'active');
  });

  await step('a status change made elsewhere arrives live without reload', async () => {
    expect(wsAvailable, '/api/ws answers on this server');
    await page.waitForSelector('#conn[data-state=live]', { timeout: 15000 });
    // Over the WebSocket itself (the CSP's connect-src 'self' must allow it), not the SSE fallback.
    const conn = await page.textContent('#conn');
    expect(conn.includes('WebSocket'), `connected via WebSocket: ${conn}`);
    await page.evaluate(() => { window.__noReload = true; });
    const token = await page.evaluate(() => localStorage.getItem('amarktai.token'));
    const id = await page.getAttribute('tr[data-bot-name="E2E Bot"]', 'data-bot-id');
    const r = await fetch(`${server.base}/api/bots/${id}/pause`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{}' });
    expect(r.ok, `pause via API: ${r.status}`);
    await waitStatus(page, 'E2E Bot', 'paused');
    expect(await page.evaluate(() => window.__noReload === true), 'page was not reloaded');
    expect((await page.textContent('#last-update')) !== 'Last update: never', 'last update shown');
    await shot(page, '05-bots-live');
  });

  await step('delete asks for confirmation', async () => {
    await page.fill('#f-name', 'Doomed Bot');
    await page.fill('#f-initial_capital', '500');
    await page.click('#create-bot-form button[type=submit]');
    await waitStatus(page, 'Doomed Bot', 'active');
    page.once('dialog', (d) => d.dismiss());
    await page.click('tr[data-bot-name="Doomed Bot"] [data-action=delete]');
    await page.waitForTimeout(300);
    expect(await page.$('tr[data-bot-name="Doomed Bot"]'), 'dismissed: bot kept');
    page.once('dialog', (d) => d.accept());
    await page.click('tr[data-bot-name="Doomed Bot"] [data-action=delete]');
    await page.waitForSelector('tr[data-bot-name="Doomed Bot"]', { state: 'detached' });
  });

  await step('training bay and platforms screens', async () => {
    await page.click('nav a[data-screen=training]');
    await page.waitForSelector('h1:text("Live training bay")');
    await page.waitForFunction(() => document.querySelector('main .panel-body')?.textContent.length > 0);
    await shot(page, '06-training');
    await page.click('nav a[data-screen=platforms]');
    await page.click('#platform-cards button[data-platform=luno]');
    await page.waitForSelector('main tr[data-bot-id]');
    expect((await page.textContent('main table')).includes('E2E Bot'), 'luno lists the bot');
    await shot(page, '07-platforms');
  });

  await step('markets: imported candles drawn as a candlestick chart', async () => {
    // 48 hourly candles, rising then falling, imported with the CLI into the server's store.
    const start = Date.UTC(2026, 0, 1);
    const rows = Array.from({ length: 48 }, (_, i) => {
      const open = 1000000 + (i < 24 ? i : 48 - i) * 1000;
      const close = open + (i < 24 ? 800 : -800);
      return [start + i * 3600000, open, Math.max(open, close) + 300, Math.min(open, close) - 300, close, 1.5];
    });
    const file = path.join(server.dataDir, 'e2e-candles.json');
    fs.writeFileSync(file, JSON.stringify(rows));
    const imported = spawnSync(server.bin, ['data', 'import', '--exchange', 'luno', '--pair', 'BTC/ZAR', '--timeframe', '1h', file],
      { env: server.env, encoding: 'utf8' });
    expect(imported.status === 0, `data import succeeded: ${imported.stderr}`);
    await page.click('nav a[data-screen=markets]');
    await page.waitForSelector('h1:text("Markets")');
    await page.waitForSelector('svg.chart g.candle');
    expect(await page.locator('svg.chart g.candle').count() === 48, 'one candlestick per stored candle');
    expect(await page.locator('svg.chart g.candle-up').count() === 24, 'rising candles drawn up');
    expect((await page.textContent('main table')).includes('BTC/ZAR'), 'the datasets table lists BTC/ZAR');
    await shot(page, '07b-markets');
  });

  await step('strategy bot: the picker validates params, creates an sma_cross bot, its page draws its chart', async () => {
    await page.click('nav a[data-screen=bots]');
    await page.waitForSelector('#create-bot-form [data-param=fast]');
    await page.fill('#f-name', 'E2E Crossing');
    await page.selectOption('#f-exchange', 'luno');
    await page.selectOption('#create-bot-form [name="strategy.name"]', 'sma_cross');
    await page.fill('#create-bot-form [data-param=fast]', '30');
    await page.fill('#create-bot-form [data-param=slow]', '10');
    await page.selectOption('#create-bot-form [name=pair]', 'BTC/ZAR');
    await page.selectOption('#create-bot-form [name=timeframe]', '1h');
    await page.click('#create-bot-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#create-bot-form [data-error-for="strategy.params.slow"]')?.textContent === 'must be greater than fast');
    await page.fill('#create-bot-form [data-param=fast]', '5');
    await page.fill('#create-bot-form [data-param=slow]', '10');
    await page.click('#create-bot-form button[type=submit]');
    await page.waitForSelector('tr[data-bot-name="E2E Crossing"] a.bot-link');
    expect((await page.textContent('tr[data-bot-name="E2E Crossing"] .strategy-cell')).includes('sma_cross BTC/ZAR 1h'), 'the list shows the strategy');
    await page.click('tr[data-bot-name="E2E Crossing"] a.bot-link');
    await page.waitForSelector('#edit-strategy-form [data-param=slow]');
    await page.waitForSelector('svg.chart g.candle');
    expect(await page.locator('svg.chart g.candle').count() === 48, 'the bot page charts its series (the 48 imported candles)');
    expect((await page.getAttribute('#bot-position', 'data-open')) === 'false', 'a new bot is flat');
    expect(await page.inputValue('#edit-strategy-form [data-param=slow]') === '10', 'the edit form shows the bot\'s params');
    await shot(page, '07c-bot-page');
  });

  await step('backtest page: run momentum_24h on the imported candles, see the equity curve and metrics', async () => {
    await page.click('nav a[data-screen=backtest]');
    await page.waitForSelector('#backtest-form [data-param=fast]');
    await page.selectOption('#bt-dataset', 'luno|BTC/ZAR|1h');
    // 24 rising then 24 falling hourly candles: up 2 % on the day at candle 24 -> one long.
    await page.selectOption('#backtest-form [name="strategy.name"]', 'momentum_24h');
    await page.waitForSelector('#backtest-form [data-param=threshold_pct]');
    await page.click('#run-backtest');
    await page.waitForSelector('#bt-status[data-status=done]', { timeout: 15000 });
    // `attached`: a flat stretch of equity is a zero-height path, which Playwright calls hidden.
    await page.waitForSelector('svg.chart path[data-series=Strategy]', { state: 'attached' });
    expect(await page.locator('svg.chart path[data-series="Buy and hold"]').count() === 1, 'buy-and-hold drawn against the strategy');
    expect((await page.textContent('#bt-metrics')).includes('Sharpe'), 'the metrics table is shown');
    expect(await page.locator('#bt-trades tbody tr').count() >= 1, 'the day-on-day rise makes a trade');
    expect(await page.locator('svg.chart g.marker-buy').count() >= 1, 'entries marked on the candles');
    await shot(page, '07d-backtest');
  });

  await step('system: emergency stop on and off', async () => {
    await page.click('nav a[data-screen=system]');
    await page.waitForSelector('#mode-paperTrading');
    page.once('dialog', (d) => d.accept());
    await page.click('#emergency-on');
    await page.waitForSelector('#emergency-off');
    await shot(page, '08-system');
    await page.click('#emergency-off');
    await page.waitForSelector('#emergency-on');
    await page.click('nav a[data-screen=alerts]');
    await page.waitForSelector('h1:text("Alerts")');
    await shot(page, '09-alerts');
  });

  await step('API keys: save and test against a local fake exchange', async () => {
    await page.click('nav a[data-screen=keys]');
    await page.waitForSelector('h1:text("API keys")');
    expect(await routeExists('/api/keys/providers'), '/api/keys/* answers on this server');
    await page.fill('#key-luno-api_key', 'goodkey1234');
    await page.fill('#key-luno-api_secret', 'secret-value-5678');
    await page.click('form[data-provider=luno] button[type=submit]');
    await page.waitForSelector('section[data-provider=luno] .badge[data-status=saved_untested]');
    expect(!(await page.textContent('main')).includes('secret-value-5678'), 'secret never shown');
    await page.click('section[data-provider=luno] button:text("Test")');
    await page.waitForSelector('section[data-provider=luno] .badge[data-status=test_ok]');
    await shot(page, '10-keys');
  });

  await step('AI chat against a local fake provider, history kept', async () => {
    await page.click('nav a[data-screen=chat]');
    await page.fill('#chat-input', 'hello there');
    await page.press('#chat-input', 'Enter');
    await page.waitForSelector('#chat-log .msg-assistant:text("Hello from the fake provider.")');
    await page.reload();
    await page.waitForSelector('#chat-log .msg-user:text("hello there")');
    await shot(page, '11-chat');
  });

  await step('chat: New conversation starts an empty thread, Clear history empties it for good', async () => {
    const api = async (p) => {
      const token = await page.evaluate(() => localStorage.getItem('amarktai.token'));
      const r = await fetch(server.base + p, { headers: { authorization: `Bearer ${token}` } });
      expect(r.ok, `${p} answered ${r.status}`);
      return r.json();
    };
    await page.waitForSelector('#chat-log .msg-user:text("hello there")');
    const before = (await api('/api/ai/conversations')).conversations.length;
    await page.click('#chat-form button:text("New conversation")');
    await page.waitForFunction(() => document.querySelectorAll('#chat-log .msg').length === 0);
    const after = (await api('/api/ai/conversations')).conversations;
    expect(after.length === before + 1, `conversations ${before} -> ${after.length}`);
    const fresh = after.find((c) => c.message_count === 0);
    expect(fresh, 'the new conversation is empty');

    // The next message goes into the new conversation, and only it is shown.
    await page.fill('#chat-input', 'second thread');
    await page.press('#chat-input', 'Enter');
    await page.waitForSelector('#chat-log .msg-assistant:text("Hello from the fake provider.")');
    const shown = await page.$$eval('#chat-log .msg', (ms) => ms.map((m) => m.textContent));
    expect(!shown.includes('hello there'), `old thread shown: ${shown}`);
    const thread = await api(`/api/ai/conversations/${fresh.id}`);
    expect(thread.messages.some((m) => m.content === 'second thread'), 'message saved in the new conversation');

    page.once('dialog', (d) => d.accept());
    await page.click('#chat-form button:text("Clear history")');
    await page.waitForFunction(() => document.querySelectorAll('#chat-log .msg').length === 0);
    // The empty log has no height, so wait for the history answer rather than for the log.
    const loaded = page.waitForResponse((r) => r.url().includes('/api/ai/chat/history'));
    await page.reload();
    expect((await loaded).ok(), 'history loads after the reload');
    await page.waitForSelector('#chat-log', { state: 'attached' });
    await page.waitForLoadState('networkidle');
    const left = await page.$$eval('#chat-log .msg', (ms) => ms.length);
    expect(left === 0, `${left} messages shown after clear and reload`);
    const history = await api('/api/ai/chat/history?limit=100');
    expect(history.messages.length === 0, `${history.messages.length} messages kept after clear`);
    const remaining = (await api('/api/ai/conversations')).conversations.length;
    expect(remaining === 0, `${remaining} conversations kept after clear`);
    await shot(page, '11b-chat-cleared');
  });

  await step('phone width, dark theme: no sideways scrolling', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.click('nav a[data-screen=bots]');
    await page.waitForSelector('#bots-table');
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(wide <= 376, `page is ${wide}px wide at 375px`);
    await shot(page, '12-bots-phone-dark');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  await step('keyboard: tab reaches the nav with a visible focus ring', async () => {
    await page.focus('nav a[data-screen=overview]');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.dataset?.screen);
    expect(focused === 'bots', `focus went to ${focused}`);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    expect(outline !== 'none', 'focus ring visible');
  });

  await step('logout clears token, storage, chat view and admin state', async () => {
    await page.evaluate(() => sessionStorage.setItem('probe', '1'));
    await page.click('#logout');
    await page.waitForSelector('#auth-view:not([hidden]) #login-form');
    const storage = await page.evaluate(() => [localStorage.length, sessionStorage.length]);
    expect(storage[0] === 0 && storage[1] === 0, `storage left: ${storage}`);
    expect(!(await page.$('#chat-log')), 'chat view gone');
    expect(await page.isHidden('#app-view'), 'app hidden');
  });

  await step('admin panel is invisible to a normal user', async () => {
    await login(page, USER.email, USER.password);
    expect(await page.isHidden('#admin-open'), 'no admin button');
    expect(await page.isHidden('#nav-admin'), 'no admin nav');
    await page.goto(server.base + '/#/admin');
    await page.waitForSelector('h1:text("Overview")');
    expect(!(await page.$('#admin-users')), 'admin screen not rendered');
    await page.click('#logout');
    await page.waitForSelector('#login-form');
  });

  await step('admin: hidden on load, usable after unlock, hidden again after reload', async () => {
    const zed = `zed${Date.now()}@example.com`;
    const made = await fetch(`${server.base}/api/auth/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ first_name: 'Zed', email: zed, password: 'Passw0rdZed' }) });
    expect(made.ok, `second user registered: ${made.status}`);
    await login(page, ADMIN_EMAIL, ADMIN_LOGIN_PASSWORD);
    expect(await page.isHidden('#nav-admin'), 'admin nav hidden on load');
    await page.click('#admin-open');
    await page.fill('#admin-password', 'wrong-password');
    await page.click('#admin-unlock button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#admin-unlock-error')?.textContent.length > 0);
    await page.fill('#admin-password', ADMIN_UNLOCK_PASSWORD);
    await page.click('#admin-unlock button[type=submit]');
    await page.waitForSelector('#admin-users');
    const row = `#admin-users tr[data-user-email="${USER.email}"]`;
    await page.click(`${row} [data-action=block]`);
    await page.waitForSelector(`${row} .badge[data-status=blocked]`);
    await page.click(`${row} [data-action=unblock]`);
    await page.waitForSelector(`${row} .badge[data-status=active]`);
    await page.waitForSelector('#admin-bots');
    await page.waitForSelector('#admin-resources');
    const overrideInput = '#admin-bots input[aria-label="Override rules for E2E Bot"]';
    await page.fill(overrideInput, '{"max_trades_per_day":3}');
    await page.click('#admin-bots tr:has-text("E2E Bot") button:text("Save override")');
    await page.waitForFunction((sel) => document.querySelector(sel)?.value.includes('max_trades_per_day'), overrideInput);
    const shown = new Promise((resolve) => page.once('dialog', (d) => { resolve(d.message()); d.accept(); }));
    await page.click(`#admin-users tr[data-user-email="${zed}"] [data-action=reset-password]`);
    const message = await shown;
    expect(/One-time password for .+: \S{8,}/.test(message), `reset-password dialog: ${message}`);
    await page.waitForTimeout(300);
    await shot(page, '13-admin');
    expect(await page.evaluate(() => Boolean(sessionStorage.getItem('amarktai.adminUnlock'))), 'unlock kept in sessionStorage');
    await page.reload();
    await page.waitForSelector('#app-view:not([hidden])');
    expect(await page.isHidden('#nav-admin'), 'hidden again on a new page load');
    await page.click('#admin-open');
    await page.waitForSelector('#admin-users');
    await page.click('#logout');
    await page.waitForSelector('#login-form');
    expect(await page.evaluate(() => sessionStorage.getItem('amarktai.adminUnlock')) === null, 'unlock cleared on logout');
  });

  await mockedSteps({ browser, server, user: USER, newPage });

  // No public route says whether an invite is required, so the form learns it from the 403.
  await step('register on a server with INVITE_CODE: the 403 reveals the invite field, the code signs in', async () => {
    const invited = await startServer({ INVITE_CODE: 'e2e-invite-42' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const p = await newPage(context);
      await p.goto(invited.base + '/');
      await p.click('#tab-register');
      expect(await p.isHidden('#reg-invite'), 'invite field hidden until the server asks');
      await p.fill('#reg-name', 'Ivy');
      await p.fill('#reg-email', `ivy${Date.now()}@example.com`);
      await p.fill('#reg-password', 'Passw0rdIvy');
      await p.click('#register-form button[type=submit]');
      await p.waitForSelector('#reg-invite:visible');
      const said = await p.textContent('#auth-message');
      expect(/invite code/i.test(said), `403 message shown: ${said}`);
      await p.fill('#reg-invite', 'e2e-invite-42');
      await p.click('#register-form button[type=submit]');
      await p.waitForSelector('#app-view:not([hidden])');
      await shot(p, '16-register-invite');
    } finally {
      await context.close().catch(() => {});
      await invited.stop().catch(() => {});
    }
  });

  await step('no CSP violations or script errors on any screen', async () => {
    expect(problems.length === 0, problems.join('\n'));
  });
}

try {
  await main();
} catch (err) {
  results.failed += 1;
  console.log(`FAIL setup: ${err && err.stack ? err.stack : err}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.stop().catch(() => {});
  for (const f of fakes) f.close();
}
console.log(`e2e: ${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`);
process.exit(results.failed > 0 ? 1 : 0);
