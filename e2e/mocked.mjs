// Steps that pin the dashboard's own logic with browser-side mocks (`page.route`,
// `page.routeWebSocket`), so the client's own logic (charts, countdowns, reconnects, fallback) is pinned exactly.
import { backoffDelay } from '../web/realtime.js';
import { step, expect, shot, login, waitStatus, botStatus } from './harness.mjs';

export async function mockedSteps({ browser, server, user: USER, newPage }) {
  await step('overview numbers and SVG charts from mocked portfolio/analytics/profits answers', async () => {
    const context5 = await browser.newContext();
    const p5 = await newPage(context5);
    const day = (i) => new Date(Date.UTC(2026, 0, 1 + i)).toISOString();
    const answers = {
      '/api/portfolio/summary': { equity: 12345.6, net_pnl: -12.5, total_bots: 1, active_bots: 1 },
      '/api/profits': { period: 'daily', limit: 30, series: [0, 1, 2, 3].map((i) => ({ period_start: day(i), profit: i % 2 ? -5 : 10 + i, trades: 1, fees: 0.1 })) },
      '/api/analytics/equity': { equity_curve: [0, 1, 2, 3, 4].map((i) => ({ timestamp: day(i), equity: 1000 + i * 10 })) },
    };
    await p5.route((url) => Object.hasOwn(answers, url.pathname), (route) => route.fulfill({
      status: 200, contentType: 'application/json', body: JSON.stringify(answers[new URL(route.request().url()).pathname]) }));
    try {
      await login(p5, USER.email, USER.password);
      await p5.waitForSelector('main svg path.line');
      expect((await p5.$$('main svg rect.bar-pos')).length === 2 && (await p5.$$('main svg rect.bar-neg')).length === 2, 'two up and two down bars');
      const stats = await p5.textContent('#overview-stats');
      expect(stats.includes('12,345.60') && stats.includes('-'), `stats: ${stats}`);
      await shot(p5, '03-overview-charts');
    } finally {
      await context5.close();
    }
  });

  await step('bot page: indicator lines and buy/sell markers from mocked decisions', async () => {
    const context7 = await browser.newContext();
    const p7 = await newPage(context7);
    const H = 3600000;
    const t0 = Date.UTC(2026, 0, 1);
    const candles = Array.from({ length: 30 }, (_, i) => { const c = 100 + Math.sin(i / 4) * 10; return [t0 + i * H, c, c + 1, c - 1, c, 1]; });
    const decision = (i, kind, order) => ({ id: `d${i}`, user_id: 'u', bot_id: 'mock-bot', timestamp: new Date(t0 + i * H).toISOString(),
      candle_time: t0 + i * H, decision: kind, reason: `${kind} at ${i}`, order_id: order, strategy: 'sma_cross', price: candles[i][4],
      indicators: { sma_fast: candles[i][4] + 1, sma_slow: candles[i][4] - 1 } });
    const decisions = Array.from({ length: 26 }, (_, k) => k + 4).reverse()
      .map((i) => decision(i, i === 8 ? 'enter_long' : i === 20 ? 'exit' : 'hold', i === 8 || i === 20 ? `o${i}` : null));
    const bot = { id: 'mock-bot', name: 'Mock Crossing', status: 'paused', mode: 'live', exchange: 'luno', pair: 'BTC/ZAR', timeframe: '1h',
      strategy: { name: 'sma_cross', params: { fast: 5, slow: 10 } }, params: { stop_loss_pct: 2, take_profit_pct: 3, trailing_stop_pct: 0, position_size_pct: 10, cooldown_candles: 3 } };
    const answers = {
      '/api/bots/mock-bot': bot,
      '/api/bots/mock-bot/position': { bot_id: 'mock-bot', pair: 'BTC/ZAR', timeframe: '1h', strategy: bot.strategy, position: null, pending_order: null,
        cooldown_left: 0, last_candle_time: t0 + 29 * H, mark_price: 100, mark_time: t0 + 29 * H, unrealized_pnl: null, stop_price: null, target_price: null },
      '/api/bots/mock-bot/decisions': { bot_id: 'mock-bot', count: decisions.length, decisions },
      '/api/market/candles': { exchange: 'luno', pair: 'BTC/ZAR', timeframe: '1h', candles },
      '/api/orders/live': { count: 2, orders: [
        { id: 'l2', side: 'sell', amount: 0.001, state: 'partially_filled', filled_amount: 0.0004, average_price: 101, rejection_reason: null,
          client_order_id: 'amk2', created_at: new Date(t0 + 21 * H).toISOString(),
          fills: [{ trade_id: 't3', price: 101, amount: 0.0004, fee: 0.04, fee_currency: 'ZAR', at: new Date(t0 + 21 * H).toISOString() }] },
        { id: 'l1', side: 'buy', amount: 0.001, state: 'filled', filled_amount: 0.001, average_price: 99.5, rejection_reason: null,
          client_order_id: 'amk1', created_at: new Date(t0 + 9 * H).toISOString(),
          fills: [{ trade_id: 't1', price: 99, amount: 0.0005, fee: 0.0000005, fee_currency: 'BTC', at: new Date(t0 + 9 * H).toISOString() },
            { trade_id: 't2', price: 100, amount: 0.0005, fee: 0.0000005, fee_currency: 'BTC', at: new Date(t0 + 9 * H).toISOString() }] },
      ] },
    };
    await p7.route((url) => Object.hasOwn(answers, url.pathname), (route) => route.fulfill({
      status: 200, contentType: 'application/json', body: JSON.stringify(answers[new URL(route.request().url()).pathname]) }));
    try {
      await login(p7, USER.email, USER.password);
      await p7.evaluate(() => { location.hash = '#/bot/mock-bot'; });
      await p7.waitForSelector('svg.chart g.candle');
      expect(await p7.locator('svg.chart path.indicator').count() === 2, 'one line per indicator (sma_fast, sma_slow)');
      expect(await p7.locator('svg.chart [data-indicator=sma_fast]').count() === 1, 'lines named after the indicators');
      expect(await p7.locator('svg.chart g.marker-buy').count() === 1 && await p7.locator('svg.chart g.marker-sell').count() === 1, 'a buy and a sell marker for the two filled decisions');
      expect(await p7.getAttribute('svg.chart g.marker-buy', 'data-time') === String(t0 + 8 * H), 'the buy marker sits on its decision candle');
      expect(await p7.locator('#decision-log tbody tr').count() === 26, 'the decision log lists every decision');
      expect(await p7.locator('#live-orders tbody tr').count() === 2, 'a live bot lists its live orders');
      expect(await p7.locator('#live-orders tr[data-state=partially_filled]').count() === 1, 'each order shows its state');
      expect((await p7.locator('#live-orders tr[data-state=filled]').innerText()).includes('0.0005 @ 99'), 'and every fill');
      await shot(p7, '07e-bot-page-signals');
    } finally {
      await context7.close();
    }
  });

  await step('training bay: live countdown and Promote when eligible (mocked live-bay answer)', async () => {
    const context6 = await browser.newContext();
    const p6 = await newPage(context6);
    let promoted = null;
    const bay = () => ({ success: true, live_mode_active: true, total: 2, ready_for_promotion: promoted ? 0 : 1, min_training_hours: 24,
      quarantine_bots: [
        { id: 'b-ready', name: 'Ready Bot', exchange: 'luno', hours_elapsed: 25, hours_remaining: 0, eligible_for_promotion: !promoted, total_profit: 5, trades_count: 3 },
        { id: 'b-wait', name: 'Waiting Bot', exchange: 'valr', hours_elapsed: 22, hours_remaining: 2, eligible_for_promotion: false, total_profit: 0, trades_count: 0 },
      ].filter((b) => !(promoted && b.id === 'b-ready')) });
    await p6.route(/\/api\/training\//, (route) => {
      const u = new URL(route.request().url());
      if (u.pathname === '/api/training/b-ready/promote') { promoted = true; return route.fulfill({ status: 200, contentType: 'application/json', body: '{"success":true,"message":"Promoted"}' }); }
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(bay()) });
    });
    try {
      await login(p6, USER.email, USER.password);
      await p6.click('nav a[data-screen=training]');
      await p6.waitForSelector('tr[data-bot-id=b-wait] .countdown');
      expect(!(await p6.$('tr[data-bot-id=b-wait] [data-action=promote]')), 'no Promote before the hours');
      const first = await p6.textContent('tr[data-bot-id=b-wait] .countdown');
      expect(/^0?1:59:5\d|^02:00:00$/.test(first), `countdown starts near 2 h: ${first}`);
      await p6.waitForFunction((t) => document.querySelector('tr[data-bot-id=b-wait] .countdown')?.textContent !== t, first, { timeout: 3000 });
      await shot(p6, '06-training-bay');
      await p6.click('tr[data-bot-id=b-ready] [data-action=promote]');
      await p6.waitForSelector('tr[data-bot-id=b-ready]', { state: 'detached' });
      expect(promoted === true, 'promote called');
    } finally {
      await context6.close();
    }
  });

  await step('API keys screen logic against a mocked /api/keys (save, test, delete, masked key)', async () => {
    // Runs whatever the server has: the screen's own behaviour with SPEC §5 shaped answers.
    const context4 = await browser.newContext();
    const p4 = await newPage(context4);
    let saved = null;
    const entry = () => ({ provider: 'luno', display_name: 'Luno', type: 'exchange', status: saved ? saved.status : 'not_configured',
      masked_key: saved ? 'good...1234' : null, last_tested_at: null, last_test_error: null });
    const reply = (route, body) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    await p4.route(/\/api\/keys\//, async (route) => {
      const req = route.request();
      const url = new URL(req.url());
      if (url.pathname === '/api/keys/providers') return reply(route, { success: true, total: 1, providers: [{ id: 'luno', type: 'exchange', display_name: 'Luno', required_fields: ['api_key', 'api_secret'] }] });
      if (url.pathname === '/api/keys/list') return reply(route, [entry()]);
      if (url.pathname === '/api/keys/save') {
        const body = JSON.parse(req.postData() || '{}');
        expect(body.provider === 'luno' && body.api_key === 'goodkey1234' && body.api_secret === 'secret-value-5678', `save body ${req.postData()}`);
        saved = { status: 'saved_untested' };
        return reply(route, { success: true, provider: 'luno', status: 'saved_untested', key_info: { masked_key: 'good...1234' } });
      }
      if (url.pathname === '/api/keys/test') { saved = { status: 'test_ok' }; return reply(route, { ok: true, success: true, provider: 'luno', status: 'test_ok' }); }
      if (url.pathname === '/api/keys/luno' && req.method() === 'DELETE') { saved = null; return reply(route, { success: true }); }
      return route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":{"code":"NOT_FOUND","message":"Not Found"}}' });
    });
    try {
      await login(p4, USER.email, USER.password);
      await p4.click('nav a[data-screen=keys]');
      await p4.waitForSelector('section[data-provider=luno] .badge[data-status=not_configured]');
      await p4.fill('#key-luno-api_key', 'goodkey1234');
      await p4.fill('#key-luno-api_secret', 'secret-value-5678');
      await p4.click('form[data-provider=luno] button[type=submit]');
      await p4.waitForSelector('section[data-provider=luno] .badge[data-status=saved_untested]');
      expect((await p4.textContent('section[data-provider=luno]')).includes('good...1234'), 'masked key shown');
      expect(await p4.inputValue('#key-luno-api_secret') === '', 'secret field cleared after save');
      await p4.click('section[data-provider=luno] button:text("Test")');
      await p4.waitForSelector('section[data-provider=luno] .badge[data-status=test_ok]');
      p4.once('dialog', (d) => d.accept());
      await p4.click('section[data-provider=luno] button:text("Delete")');
      await p4.waitForSelector('section[data-provider=luno] .badge[data-status=not_configured]');
    } finally {
      await context4.close();
    }
  });

  await step('reconnect backoff: 1 s doubling to 30 s, jittered', async () => {
    const lo = [0, 1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, () => 0));
    const hi = [0, 1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, () => 0.999));
    expect(JSON.stringify(lo) === JSON.stringify([750, 1500, 3000, 6000, 12000, 22500, 22500]), `low ${lo}`);
    expect(hi[0] === 1250 && hi[1] === 2499 && hi[4] === 19992 && hi[5] === 30000 && hi[6] === 30000, `high ${hi}`);
  });

  await step('realtime client: live event, reconnect with last_event_id, force_refresh (mocked /api/ws)', async () => {
    const context2 = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p2 = await newPage(context2);
    const sockets = [];
    await p2.routeWebSocket(/\/api\/ws/, (ws) => {
      sockets.push(ws);
      ws.onMessage(() => {});
      ws.send(JSON.stringify({ type: 'connection', status: 'Connected', timestamp: new Date().toISOString(), last_event_id: 0 }));
    });
    try {
      await login(p2, USER.email, USER.password);
      await p2.click('nav a[data-screen=bots]');
      await p2.waitForSelector('tr[data-bot-name="E2E Bot"]');
      await p2.waitForSelector('#conn[data-state=live][data-via=WebSocket]');
      expect(new URL(sockets[0].url()).searchParams.get('token'), 'token sent on the WS URL');
      await p2.evaluate(() => { window.__noReload = true; });
      const token = await p2.evaluate(() => localStorage.getItem('amarktai.token'));
      const id = await p2.getAttribute('tr[data-bot-name="E2E Bot"]', 'data-bot-id');
      const call = (action) => fetch(`${server.base}/api/bots/${id}/${action}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{}' });
      const before = await botStatus(p2, 'E2E Bot');
      const target = before === 'active' ? 'pause' : 'resume';
      const expected = target === 'pause' ? 'paused' : 'active';
      expect((await call(target)).ok, `${target} via API`);
      await p2.waitForTimeout(300);
      expect((await botStatus(p2, 'E2E Bot')) === before, 'nothing changes before the event');
      sockets[0].send(JSON.stringify({ type: `bot_${target}d`, event_id: 7, timestamp: new Date().toISOString(), bot: { id }, message: 'changed' }));
      await waitStatus(p2, 'E2E Bot', expected);
      await sockets[0].close({ code: 1011, reason: 'test drop' });
      await p2.waitForFunction(() => document.querySelector('#conn')?.dataset.state !== 'live');
      const deadline = Date.now() + 10000;
      while (sockets.length < 2 && Date.now() < deadline) await p2.waitForTimeout(100);
      expect(sockets.length >= 2, 'reconnected within 10 s');
      expect(new URL(sockets[1].url()).searchParams.get('last_event_id') === '7', `resumes from 7: ${sockets[1].url()}`);
      await p2.waitForSelector('#conn[data-state=live]');
      const back = target === 'pause' ? 'resume' : 'pause';
      expect((await call(back)).ok, `${back} via API`);
      sockets[1].send(JSON.stringify({ type: 'force_refresh' }));
      await waitStatus(p2, 'E2E Bot', before);
      expect(await p2.evaluate(() => window.__noReload === true), 'page was not reloaded');
      await shot(p2, '14-realtime');
    } finally {
      await context2.close();
    }
  });

  await step('WS that cannot connect falls back to SSE, and events arrive over SSE', async () => {
    const context3 = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p3 = await newPage(context3);
    // A proxy that accepts the upgrade and drops it before the server's greeting.
    let wsTries = 0;
    await p3.routeWebSocket(/\/api\/ws/, (ws) => { wsTries += 1; ws.close({ code: 1011, reason: 'blocked' }); });
    let sseAsked = false;
    p3.on('request', (r) => { if (r.url().includes('/api/realtime/events')) sseAsked = true; });
    try {
      await login(p3, USER.email, USER.password);
      await p3.click('nav a[data-screen=bots]');
      await p3.waitForSelector('tr[data-bot-name="E2E Bot"]');
      await p3.waitForSelector('#conn[data-state=live][data-via=SSE]', { timeout: 15000 });
      expect(sseAsked, 'EventSource opened');
      expect(wsTries >= 2, `two WS handshakes before falling back (${wsTries})`);
      await p3.evaluate(() => { window.__noReload = true; });
      const token = await p3.evaluate(() => localStorage.getItem('amarktai.token'));
      const id = await p3.getAttribute('tr[data-bot-name="E2E Bot"]', 'data-bot-id');
      const before = await botStatus(p3, 'E2E Bot');
      const action = before === 'active' ? 'pause' : 'resume';
      const r = await fetch(`${server.base}/api/bots/${id}/${action}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{}' });
      expect(r.ok, `${action} via API: ${r.status}`);
      await waitStatus(p3, 'E2E Bot', action === 'pause' ? 'paused' : 'active');
      expect(await p3.evaluate(() => window.__noReload === true), 'page was not reloaded');
      await shot(p3, '15-realtime-sse');
    } finally {
      await context3.close();
    }
  });

}
