// Realtime: WebSocket `/api/ws` with jittered exponential backoff (1 s doubling to 30 s) that
// resumes from `last_event_id`; falls back to SSE `/api/realtime/events` when WS cannot connect.

const EVENT_TYPES = ['bot_created', 'bot_updated', 'bot_deleted', 'bot_started', 'bot_stopped',
  'bot_paused', 'bot_resumed', 'bot_status_changed', 'bot_promoted', 'trade_executed',
  'profit_updated', 'overview_updated', 'system_mode_update', 'key_saved', 'key_tested',
  'key_deleted', 'api_key_update', 'alert', 'emergency_stop', 'force_refresh', 'chat_message',
  'overview_update', 'bot_update', 'trade_update', 'heartbeat', 'connection'];

/** Delay before reconnect attempt `n` (0-based): 1 s, 2 s, 4 s ... capped at 30 s, ±25 % jitter. */
export function backoffDelay(n, random = Math.random) {
  const base = Math.min(30000, 1000 * 2 ** Math.min(n, 15));
  return Math.round(Math.min(30000, base * (0.75 + random() * 0.5)));
}

export class Realtime {
  /** tokenFn() gives the bearer token; onEvent(evt) gets every event; onState(state, via). */
  constructor({ tokenFn, onEvent, onState }) {
    this.tokenFn = tokenFn;
    this.onEvent = onEvent;
    this.onState = onState;
    this.lastEventId = null;
    this.attempt = 0;
    this.wsFailures = 0;
    this.ws = null;
    this.sse = null;
    this.timer = null;
    this.pingTimer = null;
    this.stopped = true;
  }

  start() {
    this.stop();
    this.stopped = false;
    this.attempt = 0;
    this.wsFailures = 0;
    this.connectWs();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    if (this.ws) { this.ws.onclose = null; this.ws.close(1000); this.ws = null; }
    if (this.sse) { this.sse.close(); this.sse = null; }
    this.onState('offline', '');
  }

  url(path, extra = {}) {
    const params = new URLSearchParams({ token: this.tokenFn() || '', ...extra });
    if (this.lastEventId !== null) params.set('last_event_id', String(this.lastEventId));
    return `${path}?${params}`;
  }

  connectWs() {
    if (this.stopped) return;
    this.onState('connecting', 'WebSocket');
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    let opened = false;
    let ws;
    try {
      ws = new WebSocket(`${scheme}://${location.host}${this.url('/api/ws')}`);
    } catch {
      this.scheduleRetry(false);
      return;
    }
    this.ws = ws;
    ws.onmessage = (m) => {
      let evt;
      try { evt = JSON.parse(m.data); } catch { return; }
      if (evt.type === 'connection') {
        // Only the server's greeting proves the path works: a proxy may accept the upgrade
        // and then drop it, which must count as a failed handshake too.
        opened = true;
        this.attempt = 0;
        this.wsFailures = 0;
        this.onState('live', 'WebSocket');
      }
      this.deliver(evt);
    };
    // The server drops clients silent for 90 s; our own pings (answered by pongs) keep us heard.
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.send({ type: 'ping', timestamp: new Date().toISOString() }), 25000);
    ws.onclose = (e) => {
      clearInterval(this.pingTimer);
      this.ws = null;
      if (this.stopped) return;
      // 1008 = bad token: reconnecting will not help until the user logs in again.
      if (e.code === 1008) { this.onState('offline', 'not authorised'); return; }
      this.scheduleRetry(opened);
    };
  }

  send(obj) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj));
  }

  scheduleRetry(wasOpen) {
    if (!wasOpen) this.wsFailures += 1;
    // Two handshakes that never opened: the WS path is blocked (proxy, or not deployed): try SSE.
    if (this.wsFailures >= 2 && typeof EventSource !== 'undefined') {
      this.connectSse();
      return;
    }
    const delay = backoffDelay(this.attempt++);
    this.onState('connecting', `retry in ${Math.round(delay / 1000)} s`);
    this.timer = setTimeout(() => this.connectWs(), delay);
  }

  connectSse() {
    if (this.stopped) return;
    this.onState('connecting', 'SSE');
    const sse = new EventSource(this.url('/api/realtime/events'));
    this.sse = sse;
    sse.onopen = () => { this.attempt = 0; this.onState('live', 'SSE'); };
    const handle = (name) => (m) => {
      let evt = {};
      try { evt = JSON.parse(m.data); } catch { /* heartbeat text */ }
      if (!evt.type) evt.type = name;
      if (m.lastEventId && evt.event_id === undefined) evt.event_id = Number(m.lastEventId);
      this.deliver(evt);
    };
    sse.onmessage = handle('message');
    for (const type of EVENT_TYPES) sse.addEventListener(type, handle(type));
    sse.onerror = () => {
      if (sse.readyState !== EventSource.CLOSED) { this.onState('connecting', 'SSE'); return; }
      sse.close();
      this.sse = null;
      if (this.stopped) return;
      // Neither transport answered: back off, then start over with WebSocket.
      this.wsFailures = 0;
      const delay = backoffDelay(this.attempt++);
      this.onState('offline', `retry in ${Math.round(delay / 1000)} s`);
      this.timer = setTimeout(() => this.connectWs(), delay);
    };
  }

  deliver(evt) {
    const id = Number(evt.event_id);
    if (Number.isFinite(id) && (this.lastEventId === null || id > this.lastEventId)) this.lastEventId = id;
    if (evt.type === 'connection' && Number.isFinite(Number(evt.last_event_id)) && this.lastEventId === null) {
      this.lastEventId = Number(evt.last_event_id);
    }
    this.onEvent(evt);
  }
}
