// The API client: bearer token from sessionStorage, JSON in and out, errors as ApiError
// with the server's plain-words message.

const TOKEN_KEY = 'arbiter.token';

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // nothing to clear
  }
}

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field ?? null;
  }
}

let unauthorizedHandler = null;

/** Called (once per failing request) when the server answers 401. */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

/** A path with every interpolated value percent-encoded: path`/v1/shops/${id}`. */
export function path(strings, ...values) {
  let out = strings[0];
  values.forEach((v, i) => {
    out += encodeURIComponent(String(v)) + strings[i + 1];
  });
  return out;
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === null || v === undefined || v === '' || v === false) continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

function plainStatus(status) {
  switch (status) {
    case 400: return 'The request was not accepted.';
    case 401: return 'Your token was not accepted. Sign in again.';
    case 403: return 'This token may not do that.';
    case 404: return 'Not found.';
    case 409: return 'That conflicts with an earlier request.';
    case 413: return 'That is too large for the server.';
    case 422: return 'The server refused the values given.';
    case 429: return 'The server is busy. Try again in a moment.';
    case 502:
    case 503:
    case 504: return 'The server is busy or unavailable. Try again in a moment.';
    default: return `The server could not answer (status ${status}).`;
  }
}

/**
 * api('GET', '/v1/...', {body, headers, raw}) -> parsed JSON (null for 204).
 * `body` is JSON-encoded unless it is an ArrayBuffer/Blob (then sent as is).
 */
export async function api(method, url, { body, contentType, signal } = {}) {
  const headers = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    if (body instanceof ArrayBuffer || body instanceof Blob || ArrayBuffer.isView(body)) {
      payload = body;
      headers['Content-Type'] = contentType || 'application/octet-stream';
    } else {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
  }
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: payload,
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'error',
      signal,
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'Could not reach the server. Check the connection and try again.', null);
  }
  if (response.status === 204) return null;
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const err = data && typeof data === 'object' && data.error && typeof data.error === 'object' ? data.error : null;
    const message = err && typeof err.message === 'string' && err.message ? err.message : plainStatus(response.status);
    const error = new ApiError(response.status, err && err.code ? String(err.code) : `http_${response.status}`,
      message, err ? err.field : null);
    if (response.status === 401 && unauthorizedHandler) unauthorizedHandler(error);
    throw error;
  }
  if (data === null && text) {
    throw new ApiError(response.status, 'bad_response', 'The server sent an answer the console cannot read.', null);
  }
  return data;
}

export const get = (url, opts) => api('GET', url, opts);
export const post = (url, body, opts) => api('POST', url, { ...(opts || {}), body });
export const put = (url, body, opts) => api('PUT', url, { ...(opts || {}), body });
export const del = (url, opts) => api('DELETE', url, opts);

/** Runs `fn` over `items` with at most `limit` at a time; results in order. */
export async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next;
      next += 1;
      results[i] = await fn(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function sleep(ms) {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}
