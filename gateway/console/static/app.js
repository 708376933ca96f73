// The console's pages: sign-in, functions, a function (configuration, test invoke, live log,
// charts) and the account's usage. Every value from the API is put in the page as text
// (textContent, text nodes, attributes): no markup is ever built from data.
import * as api from './api.js';
import { chart } from './charts.js';
import { hasSubtle } from './sigv4.js';

const $ = (sel) => document.querySelector(sel);
let view = null; // the AbortController of the page shown: aborted when another is shown

// el creates an element: attrs are attributes (on* never used), children strings or nodes.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null && v !== false) e.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c !== undefined && c !== null) e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

function show(...nodes) {
  $('#main').replaceChildren(...nodes);
}

function errorBox(e) {
  return el('p', { class: 'error', role: 'alert' }, e && e.message ? e.message : String(e));
}

const fnPath = (name) => '/2015-03-31/functions/' + api.seg(name);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

// ---- sign-in ----------------------------------------------------------------------------

// signInPage asks for a key. The secret is kept in sessionStorage only: autocomplete="off" asks
// the browser not to fill or save the fields (a password manager would keep the secret beyond the
// tab), and the secret field is emptied as soon as it is read.
function signInPage(message) {
  const id = el('input', { id: 'access-key', name: 'access-key', autocomplete: 'off', required: true, spellcheck: 'false' });
  const secret = el('input', { id: 'secret-key', name: 'secret-key', type: 'password', autocomplete: 'off', required: true });
  const msg = el('p', { class: 'error', id: 'signin-error', role: 'alert' }, message || '');
  const form = el('form', { id: 'signin-form', class: 'card narrow', autocomplete: 'off' },
    el('h2', {}, 'Sign in'),
    el('label', {}, 'Endpoint', el('input', { value: location.origin, readonly: true, id: 'endpoint' })),
    el('label', {}, 'Access key ID', id),
    el('label', {}, 'Secret access key', secret),
    el('button', { type: 'submit', id: 'signin-btn' }, 'Sign in'),
    msg,
    el('p', { class: 'hint' }, 'The key stays in this tab (sessionStorage) and is only used to sign requests (SigV4' +
      (hasSubtle ? '' : ', JavaScript fallback') + '); it is never sent.'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    api.signIn(id.value.trim(), secret.value.trim());
    secret.value = '';
    try {
      await api.json('GET', '/2015-03-31/functions', [['MaxItems', '1']]);
      location.hash = '#/';
      route();
    } catch (e) {
      api.signOut();
      msg.textContent = e.message;
    }
  });
  header();
  show(form);
  id.focus();
}

function header() {
  const c = api.credentials();
  const nav = $('#nav');
  if (!c) {
    nav.replaceChildren();
    return;
  }
  const out = el('button', { id: 'signout', class: 'link' }, 'Sign out');
  out.addEventListener('click', () => {
    api.signOut();
    location.hash = '#/';
    route();
  });
  nav.replaceChildren(el('a', { href: '#/' }, 'Functions'), el('a', { href: '#/account', id: 'nav-account' }, 'Account'),
    el('span', { class: 'who' }, c.accessKeyId), out);
}

// ---- functions ----------------------------------------------------------------------------

async function functionsPage(signal) {
  const body = el('tbody');
  const table = el('table', { id: 'fn-table' },
    el('thead', {}, el('tr', {}, ['Name', 'State', 'Runtime', 'Memory', 'Last modified', 'Last invoke'].map((h) => el('th', {}, h)))),
    body);
  const more = el('button', { id: 'more', hidden: true }, 'More');
  const status = el('p', { class: 'hint' }, 'Loading…');
  show(el('section', { class: 'card' }, el('h2', {}, 'Functions'), table, more, status));
  let marker = '';
  const load = async () => {
    const pairs = [['MaxItems', '50']];
    if (marker) pairs.push(['Marker', marker]);
    const out = await api.json('GET', '/2015-03-31/functions', pairs);
    marker = out.NextMarker || '';
    more.hidden = !marker;
    for (const f of out.Functions || []) {
      const last = el('td', { class: 'last-invoke' }, '…');
      body.append(el('tr', {},
        el('td', {}, el('a', { href: '#/fn/' + encodeURIComponent(f.FunctionName) }, f.FunctionName)),
        el('td', {}, el('span', { class: 'state ' + String(f.State).toLowerCase() }, f.State)),
        el('td', {}, f.Runtime || f.PackageType), el('td', {}, `${f.MemorySize} MB`),
        el('td', {}, when(f.LastModified)), last));
      api.json('GET', `/lambdock/v1/functions/${api.seg(f.FunctionName)}/invocations`, [['limit', '1']])
        .then((r) => { last.textContent = r.Invocations && r.Invocations.length ? when(r.Invocations[0].StartTime) : 'never'; })
        .catch(() => { last.textContent = '—'; });
    }
    status.textContent = body.children.length ? '' : 'No functions yet. Deploy one with `lambdock deploy`.';
  };
  more.addEventListener('click', () => load().catch((e) => status.replaceWith(errorBox(e))));
  try {
    await load();
  } catch (e) {
    if (!signal.aborted) status.replaceWith(errorBox(e));
  }
}

// ---- a function ---------------------------------------------------------------------------

function configList(c) {
  const rows = [['ARN', c.FunctionArn], ['State', c.State], ['Runtime', c.Runtime || c.PackageType], ['Handler', c.Handler],
    ['Memory', `${c.MemorySize} MB`], ['Timeout', `${c.Timeout} s`], ['Architectures', (c.Architectures || []).join(', ')],
    ['Code size', `${c.CodeSize} bytes`], ['Version', c.Version], ['Last modified', when(c.LastModified)],
    ['Description', c.Description]];
  return el('dl', { id: 'fn-config' }, rows.filter(([, v]) => v).map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function decodeBase64(b64) {
  const bin = atob(b64);
  return new TextDecoder().decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
}

function invokeBox(name) {
  const payload = el('textarea', { id: 'invoke-payload', rows: 4, spellcheck: 'false' }, '{}');
  const btn = el('button', { id: 'invoke-btn' }, 'Invoke');
  const status = el('p', { id: 'invoke-status', class: 'hint' });
  const result = el('pre', { id: 'invoke-result', class: 'output' });
  const log = el('pre', { id: 'invoke-log', class: 'output log' });
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    status.textContent = 'Invoking…';
    result.textContent = '';
    log.textContent = '';
    try {
      const r = await api.request('POST', fnPath(name) + '/invocations', [], payload.value,
        { headers: { 'X-Amz-Log-Type': 'Tail', 'Content-Type': 'application/json' } });
      const fe = r.headers.get('X-Amz-Function-Error');
      status.textContent = `HTTP ${r.status}` + (fe ? ` · function error: ${fe}` : ' · success') +
        ` · request ${r.headers.get('X-Amzn-RequestId') || ''}`;
      status.className = fe ? 'error' : 'ok';
      result.textContent = await r.text();
      const tail = r.headers.get('X-Amz-Log-Result');
      log.textContent = tail ? decodeBase64(tail) : '(no log)';
    } catch (e) {
      status.textContent = e.message;
      status.className = 'error';
    } finally {
      btn.disabled = false;
    }
  });
  return el('section', { class: 'card', id: 'invoke' }, el('h3', {}, 'Test invoke'),
    el('label', {}, 'Event (JSON)', payload), btn, status,
    el('h4', {}, 'Result'), result, el('h4', {}, 'Log (last 4 KB)'), log);
}

const sleep = (ms, signal) => new Promise((res) => {
  const t = setTimeout(res, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); res(); }, { once: true });
});

// liveLog follows the function's log (GET …/logs?follow=true, Server-Sent Events read from a
// signed fetch: EventSource cannot sign) until signal aborts, resuming after the last event id.
function liveLog(name, signal) {
  const lines = el('div', { id: 'live-log', class: 'output log', 'aria-live': 'polite' });
  const status = el('span', { id: 'live-status', class: 'hint' }, 'connecting…');
  const MAX = 1000;
  const add = (cls, text) => {
    const stick = lines.scrollTop + lines.clientHeight >= lines.scrollHeight - 4;
    lines.append(el('div', { class: cls }, text));
    while (lines.childElementCount > MAX) lines.firstElementChild.remove();
    if (stick) lines.scrollTop = lines.scrollHeight;
  };
  const handle = (block, state) => {
    let event = 'message', data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const k = i < 0 ? line : line.slice(0, i);
      const v = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (k === 'id') state.lastId = v;
      else if (k === 'event') event = v;
      else if (k === 'data') data += (data ? '\n' : '') + v;
    }
    if (!data) return;
    try {
      const d = JSON.parse(data);
      if (event === 'dropped') add('dropped', `… ${d.DroppedLines} lines dropped`);
      else if (event === 'log') {
        add('ev ' + (d.Type || ''), `${(d.Time || '').slice(11, 23)}  ${String(d.Message || '').replace(/\n$/, '')}`);
      }
    } catch { /* a malformed event: skipped */ }
  };
  (async () => {
    const state = { lastId: '' };
    let backoff = 1000;
    while (!signal.aborted) {
      try {
        const headers = { Accept: 'text/event-stream' };
        if (state.lastId) headers['Last-Event-ID'] = state.lastId;
        const r = await api.request('GET', `/lambdock/v1/functions/${api.seg(name)}/logs`,
          [['follow', 'true'], ['since', '15m']], '', { headers, signal });
        status.textContent = 'live';
        backoff = 1000;
        const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value.replace(/\r\n/g, '\n');
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            handle(buf.slice(0, i), state);
            buf = buf.slice(i + 2);
          }
        }
        status.textContent = 'reconnecting…';
      } catch (e) {
        if (signal.aborted) return;
        if (e.status && e.status >= 400 && e.status < 500 && e.status !== 429) {
          status.textContent = 'unavailable: ' + e.message;
          return;
        }
        status.textContent = 'reconnecting… (' + e.message + ')';
      }
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, 30000);
    }
  })();
  return el('section', { class: 'card' }, el('h3', {}, 'Live log ', status), lines);
}

const SERIES = [
  ['Invocations', [{ key: 'Invocations', cls: 'c1' }]],
  ['Errors', [{ key: 'Errors', cls: 'c2' }]],
  ['Duration (ms)', [{ key: 'P50Ms', cls: 'c1', name: 'p50' }, { key: 'P99Ms', cls: 'c3', name: 'p99' }]],
  ['Throttles', [{ key: 'Throttles', cls: 'c2' }]],
  ['GB-seconds', [{ key: 'GBSeconds', cls: 'c4' }]],
];

// REFRESH_MS is how often a range's charts are redrawn on their own; a range not listed (30d, an
// exact-percentile query over a month) only on demand (the Refresh button or its tab).
const REFRESH_MS = { '1h': 30000, '1d': 300000 };

// chartsBox draws the function's stats for the chosen range. Each draw is numbered: only the
// newest one's answer is shown (a slow 30d answer arriving after a click on 1h is dropped, and
// its request aborted), and the next automatic draw is planned only when a draw has ended, so a
// tick never comes while a draw is in flight.
function chartsBox(name, signal) {
  const grid = el('div', { class: 'charts', id: 'charts' });
  const status = el('span', { class: 'hint', id: 'charts-status' });
  let range = '1h';
  const tabs = ['1h', '1d', '30d'].map((r) => el('button', { class: 'tab', 'data-range': r, id: 'range-' + r }, r));
  const refresh = el('button', { id: 'charts-refresh' }, 'Refresh');
  let seq = 0; // the newest draw's number
  let inFlight = null; // the AbortController of the newest draw while it runs
  let timer = 0;
  const draw = async () => {
    const n = ++seq;
    const r = range;
    clearTimeout(timer);
    if (inFlight) inFlight.abort(); // a stale draw: its answer would be dropped anyway
    const ac = new AbortController();
    inFlight = ac;
    const stop = () => ac.abort();
    signal.addEventListener('abort', stop, { once: true });
    tabs.forEach((t) => t.classList.toggle('active', t.dataset.range === r));
    try {
      const s = await api.json('GET', `/lambdock/v1/functions/${api.seg(name)}/stats`, [['range', r]], '',
        { signal: ac.signal });
      if (n !== seq || signal.aborted) return;
      grid.replaceChildren(...SERIES.map(([title, series]) => el('figure', {},
        el('figcaption', {}, title, series.length > 1 ? series.map((x) => [' ', el('span', { class: 'legend ' + x.cls }, '● ' + x.name)]) : ''), chart(title, s.Points || [], s.StepSeconds, series))));
      grid.querySelectorAll('svg')[0].id = 'chart-invocations';
      status.textContent = `${r} · updated ${new Date().toLocaleTimeString()}` +
        (REFRESH_MS[r] ? ` · every ${REFRESH_MS[r] >= 60000 ? REFRESH_MS[r] / 60000 + ' min' : REFRESH_MS[r] / 1000 + ' s'}` : ' · Refresh to update');
    } catch (e) {
      if (n === seq && !signal.aborted) status.textContent = e.message;
    } finally {
      signal.removeEventListener('abort', stop);
      if (n === seq) {
        inFlight = null;
        if (REFRESH_MS[r] && !signal.aborted) timer = setTimeout(draw, REFRESH_MS[r]);
      }
    }
  };
  // A click asks for a range: a draw of that range already in flight is let be (aborting it would
  // not stop the gateway's query, so repeated clicks would pile 30d queries up).
  const ask = (r) => {
    if (r === range && inFlight) return;
    range = r;
    draw();
  };
  tabs.forEach((t) => t.addEventListener('click', () => ask(t.dataset.range)));
  refresh.addEventListener('click', () => ask(range));
  draw();
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  return el('section', { class: 'card' }, el('h3', {}, 'Metrics'), el('div', { class: 'toolbar' }, tabs, refresh, status), grid);
}

async function functionPage(name, signal) {
  show(el('p', { class: 'hint' }, 'Loading…'));
  let fn;
  try {
    fn = await api.json('GET', fnPath(name));
  } catch (e) {
    if (!signal.aborted) show(errorBox(e));
    return;
  }
  if (signal.aborted) return;
  const c = fn.Configuration || {};
  show(el('h2', { id: 'fn-name' }, c.FunctionName),
    el('section', { class: 'card' }, el('h3', {}, 'Configuration'), configList(c)),
    el('div', { class: 'two' }, invokeBox(name), liveLog(name, signal)),
    chartsBox(name, signal));
}

// ---- account ------------------------------------------------------------------------------

async function accountPage(signal) {
  const now = new Date();
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  const iso = (d) => d.toISOString().replace('.000', '');
  show(el('p', { class: 'hint' }, 'Loading…'));
  let u;
  try {
    u = await api.json('GET', '/lambdock/v1/usage', [['from', iso(from)], ['to', iso(to)], ['by', 'function']]);
  } catch (e) {
    if (!signal.aborted) show(errorBox(e));
    return;
  }
  const t = u.Totals || {};
  const month = from.toISOString().slice(0, 7);
  const stat = (k, v, id) => el('div', { class: 'stat', id }, el('div', { class: 'k' }, k), el('div', { class: 'v' }, v));
  const rows = (u.Buckets || []).map((b) => el('tr', {}, el('td', {}, b.AccountId || ''), el('td', {}, b.FunctionName || ''),
    el('td', { class: 'num' }, b.Requests), el('td', { class: 'num' }, b.Errors), el('td', { class: 'num' }, b.GBSeconds),
    el('td', { class: 'num' }, `${b.TotalCost} ${u.Currency}`)));
  show(el('h2', {}, `Usage — ${month} (UTC)`, u.AccountId ? ` · account ${u.AccountId}` : ''),
    el('section', { class: 'card stats', id: 'usage-totals' }, stat('Requests', t.Requests, 'usage-requests'),
      stat('GB-seconds', t.GBSeconds, 'usage-gbs'), stat('Errors', t.Errors), stat('Throttles', t.Throttles),
      stat('Cost', `${t.TotalCost} ${u.Currency}`, 'usage-cost')),
    el('p', { class: 'hint' }, u.Note),
    el('section', { class: 'card' }, el('h3', {}, 'By function'),
      el('table', { id: 'usage-table' }, el('thead', {}, el('tr', {},
        ['Account', 'Function', 'Requests', 'Errors', 'GB-s', 'Cost'].map((h) => el('th', {}, h)))), el('tbody', {}, rows))));
}

// ---- routing ------------------------------------------------------------------------------

// FN_REF is what the gateway takes as a function: a name (1-64 of [a-zA-Z0-9_-]) with an optional
// :qualifier ($LATEST or 1-128 of [a-zA-Z0-9_-]), or a function ARN or partial ARN
// ([arn:aws:lambda:region:]account:function:name[:qualifier]). "." and ".." are not names: the
// browser would collapse them in the request's path, which then no longer matches its signature.
const FN_REF = /^(?:(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:)?\d{12}:function:)?[a-zA-Z0-9_-]{1,64}(?::(?:\$LATEST|[a-zA-Z0-9_-]{1,128}))?$/;

// functionRef is the function a #/fn/… path names, or null when it names none (a malformed
// percent-escape, or not a function name or ARN).
function functionRef(escaped) {
  let ref;
  try {
    ref = decodeURIComponent(escaped);
  } catch {
    return null;
  }
  return ref.length <= 170 && FN_REF.test(ref) ? ref : null;
}

function route(message) {
  if (view) view.abort();
  view = new AbortController();
  const signal = view.signal;
  if (!api.credentials()) {
    signInPage(message);
    return;
  }
  header();
  const h = location.hash.replace(/^#/, '') || '/';
  let p;
  if (h.startsWith('/fn/')) {
    const name = functionRef(h.slice(4));
    if (name === null) {
      show(errorBox(`Not a function name: "${h.slice(4)}". A function is named by 1 to 64 letters, digits, - and _ ` +
        '(optionally :version or :alias), or by its ARN.'));
      return;
    }
    p = functionPage(name, signal);
  } else if (h === '/account') p = accountPage(signal);
  else p = functionsPage(signal);
  p.catch((e) => {
    if (!signal.aborted) show(errorBox(e));
  });
}

window.addEventListener('hashchange', () => route());
// A call found the key unknown or disabled (api.request signed out): back to the sign-in page with
// the gateway's message, unless it is shown already (its own check reports there).
window.addEventListener(api.SIGNED_OUT, (ev) => {
  if (!$('#signin-form')) route(ev.detail);
});
api.loadConfig().then(() => route(), (e) => show(errorBox(e)));
