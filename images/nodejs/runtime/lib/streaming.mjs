// Response streaming, as Lambda's Node.js runtimes offer it through the global awslambda:
//
//   export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
//     responseStream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 201, headers });
//     responseStream.write('first');
//     responseStream.end();
//   });
//
// responseStream is a Writable. Its bytes go to the Runtime API as the body of a streamed
// response (lambda-api.md §1.9), chunk by chunk as they are written. The response ends when the
// stream ends, or when the handler's promise settles if the stream is still open then. If the
// handler fails before it writes anything, the invocation fails as an ordinary one does; if it
// fails part-way, the error goes in the response's trailers.
// HttpResponseStream.from writes the prelude of a Function URL's response (status, headers,
// cookies as JSON, then eight NUL bytes).

import { Writable } from 'node:stream';

import { callerBody, describe, headerType, logBody } from './errors.mjs';

const streaming = Symbol.for('aws.lambda.runtime.handler.streaming');
const httpIntegration = 'application/vnd.awslambda.http-integration-response';

/** ResponseStream is the stream a streaming handler writes its response to. */
class ResponseStream extends Writable {
  constructor(api, id) {
    super();
    this.api = api;
    this.id = id;
    this.contentType = 'application/octet-stream';
    this.out = null; // the open response, from the first write on
  }

  /** setContentType sets the response's Content-Type; only before the first write. */
  setContentType(contentType) {
    if (this.out !== null) {
      throw new Error('the content type must be set before the first write');
    }
    this.contentType = String(contentType);
  }

  /** open starts the response if it has not started. */
  open() {
    if (this.out === null) {
      this.out = this.api.openStream(this.id, this.contentType);
    }
    return this.out;
  }

  _write(chunk, _encoding, cb) {
    if (chunk.length === 0) {
      cb();
      return;
    }
    this.open().write(chunk, cb);
  }

  _final(cb) {
    cb();
  }
}

/** HttpResponseStream dresses a response stream for a Function URL (or API Gateway). */
class HttpResponseStream {
  /** from writes the prelude ({statusCode, headers, cookies}) and returns the stream. */
  static from(stream, prelude) {
    stream.setContentType(httpIntegration);
    stream.write(JSON.stringify(prelude ?? {}));
    stream.write(Buffer.alloc(8));
    return stream;
  }
}

/** installGlobal defines the global awslambda, as Lambda's runtimes do, before user code loads. */
export function installGlobal() {
  globalThis.awslambda = {
    streamifyResponse(handler) {
      handler[streaming] = 'response';
      return handler;
    },
    HttpResponseStream,
  };
}

/** isStreaming reports whether handler was wrapped by awslambda.streamifyResponse. */
export function isStreaming(handler) {
  return handler[streaming] === 'response';
}

/** finished waits until stream has ended (or failed or been destroyed). */
function finished(stream) {
  return new Promise((resolve) => {
    if (stream.writableFinished || stream.destroyed) {
      resolve();
      return;
    }
    stream.once('finish', resolve);
    stream.once('close', resolve);
    stream.once('error', resolve);
  });
}

/**
 * invokeStreaming runs a streaming handler for one event and ends its response. It resolves once
 * the Runtime API has the whole response.
 */
export async function invokeStreaming(api, handler, event, ctx, id) {
  const rs = new ResponseStream(api, id);
  let failure = null;
  rs.on('error', (e) => {
    failure ??= e;
  });
  try {
    await handler(event, rs, ctx);
    if (!rs.writableEnded && !rs.destroyed) {
      rs.end();
    }
    await finished(rs);
  } catch (e) {
    failure = e;
  }
  if (failure === null) {
    return rs.open().end();
  }
  const d = describe(failure);
  console.error('Invoke Error', '\t' + logBody(d));
  if (rs.out === null) {
    return api.fail(id, callerBody(d), headerType(d.errorType));
  }
  rs.destroy();
  return rs.out.end(`Lambda-Runtime-Function-Error-Type: ${headerType(d.errorType)}\r\n` +
    `Lambda-Runtime-Function-Error-Body: ${Buffer.from(callerBody(d)).toString('base64')}\r\n`);
}
