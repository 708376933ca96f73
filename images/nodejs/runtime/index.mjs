// Lambdock's runtime interface client for Node.js, written from the Lambda Runtime API protocol
// (lambda-api.md §1). /var/runtime/bootstrap runs it; it:
//   1. patches the console (lib/logging.mjs);
//   2. loads the handler named by _HANDLER from LAMBDA_TASK_ROOT (lib/loader.mjs) — module-level
//      code runs here, once per environment — and on failure posts /runtime/init/error and exits;
//   3. loops: GET /next, run the handler (lib/invoke.mjs, or lib/streaming.mjs for a streaming
//      one), POST /response or /error — with the following GET /next in the same write.
// An exception nobody catches, or a rejection nobody handles, fails the invocation in progress
// (or the init) with that error and ends the process, which the platform re-initialises on the
// next event, as Lambda does.

import { createRequire } from 'node:module';

import { FunctionInfo, newContext } from './lib/context.mjs';
import {
  UnhandledPromiseRejection, callerBody, describe, headerType, logBody,
} from './lib/errors.mjs';
import { invoke } from './lib/invoke.mjs';
import { loadHandler } from './lib/loader.mjs';
import { Logger } from './lib/logging.mjs';
import { RuntimeAPI } from './lib/rapid.mjs';
import { installGlobal, invokeStreaming, isStreaming } from './lib/streaming.mjs';

// Exit codes, as Lambda's: 129 after an uncaught exception or a failed init, 128 after an
// unhandled rejection.
const exitUncaught = 129;
const exitRejection = 128;

/** Runtime is the state of this runtime process. */
class Runtime {
  constructor(env) {
    this.env = env;
    this.api = new RuntimeAPI(env.AWS_LAMBDA_RUNTIME_API);
    this.info = new FunctionInfo(env);
    this.log = new Logger(process.stdout);
    this.taskRoot = env.LAMBDA_TASK_ROOT || '/var/task';
    this.require = createRequire(import.meta.url);
    this.phase = 'init'; // init, then idle (waiting for /next) and invoke in turn
    this.current = null; // the invocation in progress: {id, answered}
    this.dying = false;
  }

  /** start patches the console, loads the handler and serves invocations until the end. */
  async start() {
    this.log.patch(console);
    process.on('uncaughtException', (e) => this.fatal(e, exitUncaught));
    process.on('unhandledRejection', (reason) => {
      const r = describe(reason);
      const e = new UnhandledPromiseRejection(reason instanceof Error ? String(reason) : r.errorMessage);
      if (r.lines.length > 1) {
        e.stack = [e.stack.split('\n')[0], ...r.lines.slice(1)].join('\n');
      }
      this.fatal(e, exitRejection);
    });
    try {
      process.chdir(this.taskRoot);
    } catch {
      // the runtime still works from elsewhere; relative paths of the function may not
    }
    installGlobal();
    let handler;
    try {
      handler = await loadHandler(this.require, this.taskRoot, this.env._HANDLER || '');
    } catch (e) {
      this.fatal(e, exitUncaught);
      return;
    }
    await this.serve(handler);
  }

  /** serve runs the invoke loop. */
  async serve(handler) {
    const info = this.info;
    const stream = isStreaming(handler);
    let inv = await this.api.next();
    for (;;) {
      if (this.dying) {
        return;
      }
      this.phase = 'invoke';
      const cur = { id: inv.requestId, answered: false };
      this.current = cur;
      this.log.requestId = inv.requestId;
      if (inv.traceId) {
        process.env._X_AMZN_TRACE_ID = inv.traceId;
      } else if (process.env._X_AMZN_TRACE_ID !== undefined) {
        delete process.env._X_AMZN_TRACE_ID;
      }
      let event;
      let o = null;
      try {
        event = JSON.parse(inv.body.length === 0 ? 'null' : inv.body.toString('utf8'));
      } catch (e) {
        o = { failed: true, error: e };
      }
      if (o === null && stream) {
        cur.answered = true; // the response streams as it goes; a fatal error ends it unfinished
        await invokeStreaming(this.api, handler, event, newContext(info, inv, () => {}), inv.requestId)
          .catch((e) => process.stderr.write(`lambdock runtime: ${e.message}\n`));
        this.phase = 'idle';
        // A connection broken by the streamed response is opened again once, as after /response.
        inv = await this.api.next().catch(() => this.api.next());
        continue;
      }
      if (o === null) {
        try {
          o = await invoke(handler, event, (done) => newContext(info, inv, done));
        } catch (e) {
          o = { failed: true, error: e };
        }
      }
      if (cur.answered || this.dying) {
        return; // a fatal error answered it already, and the process is ending
      }
      cur.answered = true;
      const a = this.encode(o);
      this.phase = 'idle';
      const { posted, next } = this.api.answerAndNext(inv.requestId, a.body, a.errorType);
      posted.catch((e) => {
        // The platform refused the answer (too large, the invocation already over): it has
        // recorded the outcome itself, so the runtime goes on to the next event.
        process.stderr.write(`lambdock runtime: ${e.message}\n`);
      });
      // If the connection broke under the pipelined /next, ask again on a new one.
      inv = await next.catch(() => this.api.next());
    }
  }

  /**
   * encode turns an invocation's outcome into the body to post: the result as JSON, or the
   * error's JSON and type (also written to the log, as Lambda does).
   */
  encode(o) {
    if (!o.failed) {
      try {
        // JSON.stringify gives undefined, without throwing, for a function, a Symbol or an
        // object whose toJSON returns undefined: the caller gets null, as for no result.
        const body = JSON.stringify(o.result === undefined ? null : o.result);
        return { body: body === undefined ? 'null' : body, errorType: undefined };
      } catch {
        o = { failed: true, error: new Error('Unable to stringify response body') };
      }
    }
    const d = describe(o.error);
    console.error('Invoke Error', '\t' + logBody(d));
    return { body: callerBody(d), errorType: headerType(d.errorType) };
  }

  /**
   * fatal reports an error nothing caught — as the init error during init, as the error of the
   * invocation in progress otherwise — and ends the process.
   */
  async fatal(e, code) {
    if (this.dying) {
      return;
    }
    this.dying = true;
    const d = describe(e);
    const phase = this.phase;
    const label = e instanceof UnhandledPromiseRejection ? 'Unhandled Promise Rejection' : 'Uncaught Exception';
    console.error(label, '\t' + logBody(d));
    try {
      if (phase === 'init') {
        await this.api.initFail(callerBody(d), headerType(d.errorType));
      } else if (phase === 'invoke' && this.current && !this.current.answered) {
        this.current.answered = true;
        await this.api.fail(this.current.id, callerBody(d), headerType(d.errorType));
      }
    } catch (err) {
      process.stderr.write(`lambdock runtime: ${err.message}\n`);
    }
    process.exit(code);
  }
}

if (!process.env.AWS_LAMBDA_RUNTIME_API) {
  process.stderr.write('lambdock runtime: AWS_LAMBDA_RUNTIME_API is not set\n');
  process.exit(1);
}
const rt = new Runtime(process.env);
rt.start().catch((e) => {
  // The Runtime API failed (the platform went away): nothing can be reported through it.
  process.stderr.write(`lambdock runtime: ${e?.stack ?? e}\n`);
  process.exit(1);
});
