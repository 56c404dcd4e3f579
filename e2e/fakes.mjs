// Tiny local fakes for the e2e run: an OpenAI-compatible chat provider and a Luno-like exchange.
import http from 'node:http';

function listen(handler) {
  return new Promise((resolve) => {
    const server = http.createServer(handler);
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` }));
  });
}

function json(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** OpenAI-compatible: `/v1/chat/completions` echoes a fixed reply; `/v1/models` lists one model. */
export function fakeOpenAi() {
  return listen((req, res) => {
    let raw = '';
    req.on('data', (c) => { raw += c; });
    req.on('end', () => {
      if (req.url.endsWith('/models')) return json(res, 200, { data: [{ id: 'fake-model' }] });
      if (req.url.endsWith('/chat/completions')) {
        return json(res, 200, {
          id: 'cmpl-1', object: 'chat.completion', model: 'fake-model',
          choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hello from the fake provider.' } }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        });
      }
      return json(res, 404, { error: 'not found' });
    });
  });
}

/** Luno-like: GET /api/1/balance accepts HTTP Basic with key `goodkey1234`, else 401. */
export function fakeLuno() {
  return listen((req, res) => {
    if (req.url.startsWith('/api/1/balance')) {
      const auth = Buffer.from(String(req.headers.authorization || '').replace(/^Basic /, ''), 'base64').toString();
      if (auth.startsWith('goodkey1234:')) return json(res, 200, { balance: [{ asset: 'ZAR', balance: '100.00' }] });
      return json(res, 401, { error: 'unauthorised', error_code: 'ErrApiKeyNotFound' });
    }
    if (req.url.startsWith('/api/1/ticker')) return json(res, 200, { pair: 'XBTZAR', last_trade: '1000000.00' });
    return json(res, 404, { error: 'not found' });
  });
}
