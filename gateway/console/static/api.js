// Signed calls to the gateway's API. The access key lives in sessionStorage (this tab only) and
// leaves the browser only as SigV4 signatures; no cookie is ever set or sent.
import { sign, queryString } from './sigv4.js';

const KEY = 'lambdock.credentials';
const enc = new TextEncoder();
let config = null; // {Region, Service, offsetMs}: read once per page load

// credentials is the signed-in key, or null.
export function credentials() {
  try {
    const c = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    return c && c.accessKeyId && c.secretAccessKey ? c : null;
  } catch {
    return null;
  }
}

export function signIn(accessKeyId, secretAccessKey) {
  sessionStorage.setItem(KEY, JSON.stringify({ accessKeyId, secretAccessKey }));
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

// loadConfig reads the region to sign for and the server's clock.
export async function loadConfig() {
  if (config) return config;
  const before = Date.now();
  const r = await fetch('config.json', { cache: 'no-store', credentials: 'omit' });
  if (!r.ok) throw new Error(`config.json: HTTP ${r.status}`);
  const c = await r.json();
  const mid = (before + Date.now()) / 2;
  config = { Region: c.Region, Service: c.Service || 'lambda', offsetMs: c.ServerTime ? c.ServerTime - mid : 0 };
  return config;
}

// APIError is a non-2xx answer: its HTTP status, Lambda error type and message.
export class APIError extends Error {
  constructor(status, type, message) {
    super(`${type || 'HTTP ' + status}: ${message || ''}`);
    this.status = status;
    this.type = type;
  }
}

async function apiError(r) {
  let type = r.headers.get('X-Amzn-ErrorType') || '';
  let message = '';
  try {
    const b = await r.json();
    message = b.message || b.Message || '';
    type = type || b.Type || b.__type || '';
  } catch { /* not JSON: the status says enough */ }
  return new APIError(r.status, type.split(':')[0], message);
}

// SIGNED_OUT is the window event request dispatches when it signs the user out (detail: the
// gateway's message).
export const SIGNED_OUT = 'lambdock:signedout';

// request sends a signed request: path segments are escaped by the caller (seg), pairs is the
// query, body a string. opts: {headers, signal}. It returns the Response; a non-2xx one throws
// an APIError. Only an UnrecognizedClientException (the gateway does not know the key, or it or
// its account is disabled) signs the user out, announced by a SIGNED_OUT event: any other 403 is
// the caller's to show (an InvalidSignatureException on a later call says a request was not
// signed as the gateway read it, not that the key is bad; the sign-in check signs out itself).
export async function request(method, path, pairs = [], body = '', opts = {}) {
  const creds = credentials();
  if (!creds) throw new APIError(401, 'NotSignedIn', 'sign in first');
  const cfg = await loadConfig();
  const bytes = enc.encode(body);
  const auth = await sign({ method, path, pairs, body: bytes, host: location.host, creds,
    region: cfg.Region, service: cfg.Service, now: new Date(Date.now() + cfg.offsetMs) });
  const q = queryString(pairs);
  const r = await fetch(path + (q ? '?' + q : ''), {
    method, body: method === 'GET' || method === 'HEAD' ? undefined : bytes,
    headers: { ...auth, ...(opts.headers || {}) }, credentials: 'omit', cache: 'no-store',
    signal: opts.signal, referrerPolicy: 'no-referrer',
  });
  if (!r.ok) {
    const e = await apiError(r);
    if (r.status === 403 && e.type === 'UnrecognizedClientException' && credentials()) {
      signOut();
      window.dispatchEvent(new CustomEvent(SIGNED_OUT, { detail: e.message }));
    }
    throw e;
  }
  return r;
}

// json is request's body decoded (opts as request's).
export async function json(method, path, pairs, body, opts) {
  return (await request(method, path, pairs, body, opts)).json();
}

// seg escapes one path segment (a function name).
export const seg = (s) => encodeURIComponent(s);
