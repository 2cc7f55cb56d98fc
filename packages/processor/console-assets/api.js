// The console's calls to its processor: same origin, the bearer token (when one is set) in
// the Authorization header, never in a URL or a cookie.

const KEY = 'mcptrail.console.token';

export class Unauthorized extends Error {}

/** A token handed over in the fragment (`/console/#token=…`) is moved to session storage and wiped from the address bar. */
export function takeTokenFromLocation() {
  const m = /^#token=([^&]+)/.exec(location.hash);
  if (!m) return;
  sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
  history.replaceState(null, '', `${location.pathname}#/overview`);
}

export function setToken(token) {
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
}

function headers(extra = {}) {
  const token = sessionStorage.getItem(KEY);
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

async function parse(res) {
  if (res.status === 401) throw new Unauthorized('this processor needs a token');
  const body = await res.json();
  if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
  return body;
}

export async function get(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const qs = q.toString();
  return parse(await fetch(`/console/api/${path}${qs ? `?${qs}` : ''}`, { headers: headers(), cache: 'no-store' }));
}

export async function post(path, body) {
  return parse(await fetch(`/console/api/${path}`, { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(body) }));
}
