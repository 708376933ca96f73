// The client of the Lambda Runtime API (lambda-api.md §1): /next, /response, /error and
// /init/error over one kept-alive HTTP/1.1 connection.

import http from 'node:http';

const base = '/2018-06-01/runtime';

/** Invocation is one event as /next hands it out. */
export class Invocation {
  constructor(res, body) {
    const h = res.headers;
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

/** RuntimeAPI talks to the Runtime API at address (host:port, no scheme). */
export class RuntimeAPI {
  constructor(address) {
    const i = address.lastIndexOf(':');
    this.host = i > 0 ? address.slice(0, i) : address;
    this.port = i > 0 ? Number(address.slice(i + 1)) : 80;
    if (this.host.startsWith('[') && this.host.endsWith(']')) {
      this.host = this.host.slice(1, -1);
    }
    // One connection, kept alive between calls. An idle kept-alive socket is unreferenced by the
    // agent, so it does not keep the event loop alive while a handler runs: the loop can empty
    // (callbackWaitsForEmptyEventLoop) with the connection still open.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1, keepAliveMsecs: 60000 });
  }

  /** next waits for the next invocation; a long poll with no client timeout. */
  next() {
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: this.host, port: this.port, agent: this.agent, method: 'GET',
        path: base + '/invocation/next',
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(new Error(`GET /next: HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString()}`));
            return;
          }
          const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
          resolve(new Invocation(res, body));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** respond posts the result (a JSON text) of invocation id. */
  respond(id, body) {
    return this.post(`${base}/invocation/${id}/response`, body, undefined);
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
    const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
    if (errorType !== undefined) {
      headers['Lambda-Runtime-Function-Error-Type'] = errorType;
    }
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: this.host, port: this.port, agent: this.agent, method: 'POST', path, headers,
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 202) {
            reject(new Error(`POST ${path}: HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString()}`));
            return;
          }
          resolve();
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}
