// AWS Signature Version 4 for fetch(): what gateway/sigv4 verifies. The canonical request is
// method, the path as sent escaped once more (RFC 3986, '/' kept), the query pairs escaped and
// sorted, the signed headers host and x-amz-date, and the hex SHA-256 of the body.
import { sha256 as jsSHA256, hmacSHA256 as jsHMAC } from './sha256.js';

const enc = new TextEncoder();
const subtle = globalThis.crypto && globalThis.crypto.subtle;

// hasSubtle says whether the browser's crypto.subtle signs (else the JavaScript fallback does).
export const hasSubtle = !!subtle;

async function sha256(bytes) {
  if (subtle) return new Uint8Array(await subtle.digest('SHA-256', bytes));
  return jsSHA256(bytes);
}

async function hmac(key, data) {
  const bytes = typeof data === 'string' ? enc.encode(data) : data;
  if (subtle) {
    const k = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Uint8Array(await subtle.sign('HMAC', k, bytes));
  }
  return jsHMAC(key, bytes);
}

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

// uriEscape percent-encodes every byte of s's UTF-8 but A-Z a-z 0-9 - . _ ~ (and '/' if
// keepSlash), with upper-case hex.
export function uriEscape(s, keepSlash) {
  let out = '';
  for (const b of enc.encode(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

// queryString is the canonical query of pairs ([name, value] arrays): escaped, sorted by name
// then value. It is also the query the request sends, so both parse the same.
export function queryString(pairs) {
  return pairs.map(([k, v]) => [uriEscape(k, false), uriEscape(String(v), false)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => k + '=' + v).join('&');
}

// amzDate is t as yyyyMMdd'T'HHmmss'Z'.
export function amzDate(t) {
  return t.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

// sign returns the headers (Authorization, X-Amz-Date) that sign a request of method to path
// (already percent-encoded, as it will be sent) with the query pairs and body (Uint8Array) for
// host, with creds {accessKeyId, secretAccessKey} in region and service, dated now.
export async function sign({ method, path, pairs, body, host, creds, region, service, now }) {
  const date = amzDate(now);
  const day = date.slice(0, 8);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const canonical = [method, uriEscape(path, true), queryString(pairs || []),
    `host:${host.trim()}`, `x-amz-date:${date}`, '', 'host;x-amz-date',
    hex(await sha256(body || new Uint8Array(0)))].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', date, scope, hex(await sha256(enc.encode(canonical)))].join('\n');
  let key = await hmac(enc.encode('AWS4' + creds.secretAccessKey), day);
  key = await hmac(key, region);
  key = await hmac(key, service);
  key = await hmac(key, 'aws4_request');
  const signature = hex(await hmac(key, toSign));
  return {
    'Authorization': `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, ` +
      `SignedHeaders=host;x-amz-date, Signature=${signature}`,
    'X-Amz-Date': date,
  };
}
