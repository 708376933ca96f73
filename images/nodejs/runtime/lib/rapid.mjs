// The client of the Lambda Runtime API (lambda-api.md §1): /next, /response, /error and
// /init/error over one kept-alive HTTP/1.1 connection.
//
// It speaks HTTP/1.1 on a plain socket instead of through node:http, for speed: a warm
// invocation costs two requests, and node:http's streams and parser objects cost more CPU per
// request than the rest of the runtime together. With the socket to itself the client also
// pipelines: the answer of one invocation and the GET /next of the following one leave in one
// write, and the Runtime API (a Go net/http server) serves them in order on the connection —
// one round trip per invocation instead of two.
//
// The socket is referenced only while a request is outstanding, so that while a handler runs
// the runtime holds nothing on the event loop (callbackWaitsForEmptyEventLoop sees the loop
// empty when the function's own work is done).

import net from 'node:net';

const base = '/2018-06-01/runtime';

/** Invocation is one event as /next hands it out. */
export class Invocation {
  constructor(h, body) {
    this.requestId = h['lambda-runtime-aws-request-id'] || '';
    this.deadlineMs = Number(h['lambda-runtime-deadline-ms']) || 0;
    this.functionArn = h['lambda-runtime-invoked-function-arn'] || '';
    this.traceId = h['lambda-runtime-trace-id'];
    this.clientContext = h['lambda-runtime-client-context'];
    this.cognitoIdentity = h['lambda-runtime-cognito-identity'];
    this.tenantId = h['lambda-runtime-aws-tenant-id'];
    this.body = body;
  }
}

/** Response is an HTTP response: status, lower-cased headers, body. */
class Response {
  constructor(status, headers, body) {
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

const crlf2 = Buffer.from('\r\n\r\n');
const crlf = Buffer.from('\r\n');

/**
 * Parser cuts HTTP/1.1 responses out of the bytes of a connection: Content-Length and chunked
 * bodies (trailers are skipped), several responses in one read or one response over many.
 */
class Parser {
  constructor() {
    this.buf = Buffer.alloc(0);
    this.head = null; // {status, headers, length (-1: chunked)} of the response being read
    this.chunks = []; // chunked body so far
  }

  /** push adds bytes and returns the responses they complete. */
  push(data) {
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    const out = [];
    for (;;) {
      const r = this.next();
      if (r === null) {
        return out;
      }
      out.push(r);
    }
  }

  /** next returns one complete response from the buffer, or null if it needs more bytes. */
  next() {
    if (this.head === null) {
      const end = this.buf.indexOf(crlf2);
      if (end < 0) {
        return null;
      }
      const lines = this.buf.toString('latin1', 0, end).split('\r\n');
      this.buf = this.buf.subarray(end + 4);
      const status = Number(lines[0].split(' ', 2)[1]);
      const headers = {};
      for (let i = 1; i < lines.length; i++) {
        const c = lines[i].indexOf(':');
        if (c > 0) {
          headers[lines[i].slice(0, c).trim().toLowerCase()] = lines[i].slice(c + 1).trim();
        }
      }
      let length = 0;
      if ((headers['transfer-encoding'] || '').toLowerCase().includes('chunked')) {
        length = -1;
      } else if (headers['content-length'] !== undefined) {
        length = Number(headers['content-length']);
      }
      if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
        length = 0;
      }
      this.head = { status, headers, length };
    }
    const h = this.head;
    if (h.length >= 0) {
      if (this.buf.length < h.length) {
        return null;
      }
      const body = this.buf.subarray(0, h.length);
      this.buf = this.buf.subarray(h.length);
      this.head = null;
      return new Response(h.status, h.headers, body);
    }
    // chunked: <hex size>[;ext]\r\n<data>\r\n … 0\r\n[trailers]\r\n
    for (;;) {
      const eol = this.buf.indexOf(crlf);
      if (eol < 0) {
        return null;
      }
      const size = parseInt(this.buf.toString('latin1', 0, eol), 16);
      if (size === 0) {
        const end = this.buf.indexOf(crlf2, eol - 2 >= 0 ? eol - 2 : 0);
        if (end < 0) {
          return null;
        }
        this.buf = this.buf.subarray(end + 4);
        const body = Buffer.concat(this.chunks);
        this.chunks = [];
        this.head = null;
        return new Response(h.status, h.headers, body);
      }
      if (this.buf.length < eol + 2 + size + 2) {
        return null;
      }
      this.chunks.push(this.buf.subarray(eol + 2, eol + 2 + size));
      this.buf = this.buf.subarray(eol + 2 + size + 2);
    }
  }
}

/** RuntimeAPI talks to the Runtime API at address (host:port, no scheme). */
export class RuntimeAPI {
  constructor(address) {
    const i = address.lastIndexOf(':');
    this.host = i > 0 ? address.slice(0, i) : address;
    this.port = i > 0 ? Number(address.slice(i + 1)) : 80;
    if (this.host.startsWith('[') && this.host.endsWith(']')) {
      this.host = this.host.slice(1, -1);
    }
    this.hostHeader = address;
    // The constant parts of the requests, built once.
    this.nextRequest = `GET ${base}/invocation/next HTTP/1.1\r\nHost: ${address}\r\n\r\n`;
    this.jsonHeaders = ` HTTP/1.1\r\nHost: ${address}\r\nContent-Type: application/json\r\n`;
    this.socket = null;
    this.waiting = []; // {resolve, reject, what} of the requests sent, in order
  }

  /** connection returns the open socket, connecting first if there is none. */
  connection() {
    if (this.socket !== null) {
      return this.socket;
    }
    const s = net.connect({ host: this.host, port: this.port, noDelay: true });
    const parser = new Parser();
    s.on('data', (data) => {
      let responses;
      try {
        responses = parser.push(data);
      } catch (e) {
        this.drop(s, e);
        return;
      }
      for (const r of responses) {
        const w = this.waiting.shift();
        if (w !== undefined) {
          w.resolve(r);
        }
      }
      if (this.waiting.length === 0) {
        s.unref();
      }
    });
    s.on('error', (e) => this.drop(s, e));
    s.on('close', () => this.drop(s, new Error('the Runtime API closed the connection')));
    this.socket = s;
    return s;
  }

  /** drop forgets a failed connection and fails the requests waiting on it. */
  drop(s, err) {
    if (this.socket !== s) {
      return;
    }
    this.socket = null;
    s.destroy();
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) {
      w.reject(new Error(`${w.what}: ${err.message}`));
    }
  }

  /** send writes requests (one text) and returns a promise per request, in order. */
  send(text, body, whats) {
    const s = this.connection();
    const promises = whats.map((what) => new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject, what });
    }));
    s.ref();
    // Request lines and headers are ASCII; bodies are JSON text, sent as UTF-8.
    if (body === undefined) {
      s.write(text);
    } else {
      s.cork();
      s.write(text);
      s.write(body);
      s.uncork();
    }
    return promises;
  }

  /** postText is the head of a POST with a JSON body. */
  postText(path, body, errorType) {
    return `POST ${path}${this.jsonHeaders}Content-Length: ${Buffer.byteLength(body)}\r\n` +
      (errorType === undefined ? '' : `Lambda-Runtime-Function-Error-Type: ${errorType}\r\n`) + '\r\n';
  }

  /** next waits for the next invocation; a long poll with no client timeout. */
  next() {
    return this.send(this.nextRequest, undefined, ['GET /next'])[0].then(invocation);
  }

  /**
   * answerAndNext posts an invocation's answer — its result, or with errorType its error — and
   * asks for the next invocation in the same write. It resolves to {posted, next}: posted
   * settles with the answer's acceptance, next with the following invocation.
   */
  answerAndNext(id, body, errorType) {
    const path = `${base}/invocation/${id}/${errorType === undefined ? 'response' : 'error'}`;
    const [posted, next] = this.send(this.postText(path, body, errorType) + body + this.nextRequest, undefined,
      [`POST ${path}`, 'GET /next']);
    return { posted: posted.then((r) => accepted(`POST ${path}`, r)), next: next.then(invocation) };
  }

  /**
   * openStream starts a streamed response of invocation id (lambda-api.md §1.9): a chunked POST
   * that declares the error trailers. write(chunk, cb) sends one chunk; end(trailers) ends the
   * body (with trailer lines when the function failed part-way) and resolves once the Runtime
   * API has accepted the response.
   */
  openStream(id, contentType) {
    const path = `${base}/invocation/${id}/response`;
    const [posted] = this.send(`POST ${path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\n` +
      `Content-Type: ${contentType}\r\nLambda-Runtime-Function-Response-Mode: streaming\r\n` +
      'Transfer-Encoding: chunked\r\n' +
      'Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n',
    undefined, [`POST ${path}`]);
    const s = this.socket;
    return {
      write: (chunk, cb) => {
        s.cork();
        s.write(chunk.length.toString(16) + '\r\n');
        s.write(chunk);
        s.write('\r\n', cb);
        s.uncork();
      },
      end: (trailers) => {
        s.write('0\r\n' + (trailers ?? '') + '\r\n');
        return posted.then((r) => accepted(`POST ${path}`, r));
      },
    };
  }

  /** fail posts the error (a JSON text) of invocation id, with its error type. */
  fail(id, body, errorType) {
    return this.post(`${base}/invocation/${id}/error`, body, errorType);
  }

  /** initFail posts an error of the runtime's init. */
  initFail(body, errorType) {
    return this.post(`${base}/init/error`, body, errorType);
  }

  /** post sends a JSON body and expects 202 Accepted. */
  post(path, body, errorType) {
    return this.send(this.postText(path, body, errorType), body, [`POST ${path}`])[0]
      .then((r) => accepted(`POST ${path}`, r));
  }
}

/** invocation turns the answer of GET /next into an Invocation. */
function invocation(r) {
  if (r.status !== 200) {
    throw new Error(`GET /next: HTTP ${r.status}: ${r.body.toString()}`);
  }
  return new Invocation(r.headers, r.body);
}

/** accepted checks that a POST got 202 Accepted. */
function accepted(what, r) {
  if (r.status !== 202) {
    throw new Error(`${what}: HTTP ${r.status}: ${r.body.toString()}`);
  }
}
