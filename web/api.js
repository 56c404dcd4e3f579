// REST client: bearer token from localStorage, every failure turned into an ApiError
// carrying the server's envelope (code, message, field messages).

const TOKEN = 'amarktai.token';
const REFRESH = 'amarktai.refresh';

export class ApiError extends Error {
  constructor(status, code, message, fields = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
    // The JSON 404 for an unknown route (not "bot not found") means the feature is not deployed.
    this.routeMissing = status === 404 && code === 'NOT_FOUND';
  }
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export function token() { return localStorage.getItem(TOKEN); }
export function refreshToken() { return localStorage.getItem(REFRESH); }
export function saveSession(body) {
  localStorage.setItem(TOKEN, body.access_token || body.token);
  if (body.refresh_token) localStorage.setItem(REFRESH, body.refresh_token);
}

/** Calls `/api{path}`. `body` is sent as JSON. Resolves to the parsed JSON body. */
export async function api(method, path, body, extraHeaders = {}) {
  const headers = { Accept: 'application/json', ...extraHeaders };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(`/api${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached');
  }
  let data = null;
  const text = await response.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!response.ok) {
    const err = (data && data.error) || {};
    const message = err.message || (data && typeof data.detail === 'string' && data.detail)
      || `Request failed (${response.status})`;
    const failure = new ApiError(response.status, err.code || 'ERROR', message, err.fields || []);
    if (response.status === 401 && t && !path.startsWith('/auth/')) onUnauthorized();
    throw failure;
  }
  return data;
}

export const get = (path, headers) => api('GET', path, undefined, headers);
export const post = (path, body = {}, headers) => api('POST', path, body, headers);
export const put = (path, body = {}) => api('PUT', path, body);
export const del = (path, headers) => api('DELETE', path, undefined, headers);
