// API client: same-origin fetch with the session cookie, the CSRF token
// from /api/v1/me on mutating calls, and a redirect to the login page when
// the session is missing or expired.

let me = null;

export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function url(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export { url as apiURL };

// call sends one request. body is JSON-encoded unless contentType is
// given, in which case it is sent as is (an uploaded CSV file).
async function call(method, path, params, body, contentType) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    const m = me || (await getMe());
    if (m && m.csrf_token) headers['X-CSRF-Token'] = m.csrf_token;
    if (body !== undefined) headers['Content-Type'] = contentType || 'application/json';
  }
  const resp = await fetch(url(path, params), {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : contentType ? body : JSON.stringify(body),
  });
  if (resp.status === 401) {
    window.location.assign('/login');
    throw new APIError(401, 'not logged in');
  }
  const ct = resp.headers.get('Content-Type') || '';
  const data = ct.includes('json') ? await resp.json().catch(() => null) : null;
  if (!resp.ok) {
    // Some handlers answer errors as plain text (http.Error): show it.
    const plain = !data && ct.startsWith('text/plain') ? (await resp.text().catch(() => '')).trim().slice(0, 300) : '';
    const msg = data && data.error ? data.error : plain || `${resp.status} ${resp.statusText}`;
    throw new APIError(resp.status, msg);
  }
  return data;
}

export function get(path, params) {
  return call('GET', path, params);
}

export function post(path, body, params) {
  return call('POST', path, params, body);
}

// upload posts raw content (a file) with its content type.
export function upload(path, params, content, contentType) {
  return call('POST', path, params, content, contentType || 'application/octet-stream');
}

// notMounted reports whether an API error means the server does not serve
// the route at all (a 404 that is not about a missing record).
export function notMounted(err) {
  return Boolean(err && err.status === 404);
}

export async function getMe() {
  if (!me) me = await get('/api/v1/me');
  return me;
}

// list normalizes a list answer: {items, total, limit, offset} or a bare array.
export function list(resp) {
  if (Array.isArray(resp)) return { items: resp, total: resp.length, limit: resp.length, offset: 0 };
  const r = resp || {};
  const items = Array.isArray(r.items) ? r.items : [];
  return { items, total: typeof r.total === 'number' ? r.total : items.length, limit: r.limit || items.length, offset: r.offset || 0 };
}

export async function logout() {
  try {
    await call('POST', '/logout');
  } finally {
    me = null;
    window.location.assign('/login');
  }
}
