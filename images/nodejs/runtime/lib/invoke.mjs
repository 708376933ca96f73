// Running the handler for one event, in each of the forms Lambda's Node.js runtimes accept:
//
//   - async (returns a promise): the invocation ends when the promise settles, whatever else is
//     still scheduled on the event loop (it runs on during later invocations);
//   - callback style, handler(event, context, callback): callback(err, result) ends it. With
//     context.callbackWaitsForEmptyEventLoop true (the default), the answer waits until the
//     event loop is empty — Node's 'beforeExit', which fires when nothing but the runtime's idle
//     connection is left — as on Lambda, where a timer or an open socket left behind holds the
//     invocation until it times out. With it false, the answer goes at once;
//   - context.succeed(result), context.fail(err), context.done(err, result): end it at once;
//   - a handler that returns something other than a promise and never calls back ends with a
//     null result when the event loop empties; an async handler whose promise is still pending
//     when the loop empties (nothing left that could settle it) ends with Runtime.NodeJsExit.
//
// The first of these to happen wins; later calls are ignored.

import { NodeJsExit } from './errors.mjs';

/**
 * Runtime is the receiver (this) of handler calls, as on Lambda, where a handler's stack frame
 * reads "at Runtime.handler (…)".
 */
class Runtime {}
const receiver = new Runtime();

/** Outcome is how an invocation ended: error set (anything thrown, even undefined) or result. */
export class Outcome {
  constructor(failed, error, result) {
    this.failed = failed;
    this.error = error;
    this.result = result;
  }
}

/**
 * invoke runs handler(event, context, callback) and resolves to its Outcome. newCtx(done) builds
 * the context around the legacy done function.
 */
export function invoke(handler, event, newCtx) {
  return new Promise((resolve) => {
    let settled = false;
    let answer = null; // the callback's answer, waiting for the event loop to empty
    let promised = false;
    const finish = (o) => {
      if (settled) {
        return;
      }
      settled = true;
      process.removeListener('beforeExit', onEmpty);
      resolve(o);
    };
    const onEmpty = () => {
      if (answer !== null) {
        finish(answer);
      } else if (promised) {
        finish(new Outcome(true, new NodeJsExit('Error: Runtime exited without providing a reason'), undefined));
      } else {
        finish(new Outcome(false, undefined, undefined));
      }
    };
    const outcomeOf = (err, result) =>
      err === null || err === undefined ? new Outcome(false, undefined, result) : new Outcome(true, err, undefined);
    const done = (err, result) => finish(outcomeOf(err, result));
    let ctx;
    try {
      ctx = newCtx(done);
    } catch (e) {
      finish(new Outcome(true, e, undefined));
      return;
    }
    const callback = (err, result) => {
      if (settled || answer !== null) {
        return;
      }
      answer = outcomeOf(err, result);
      if (!ctx.callbackWaitsForEmptyEventLoop) {
        finish(answer);
      }
    };
    process.on('beforeExit', onEmpty);
    let ret;
    try {
      ret = Reflect.apply(handler, receiver, [event, ctx, callback]);
    } catch (e) {
      finish(new Outcome(true, e, undefined));
      return;
    }
    try {
      if (ret !== null && (typeof ret === 'object' || typeof ret === 'function') && typeof ret.then === 'function') {
        promised = true;
        ret.then((result) => finish(new Outcome(false, undefined, result)),
          (e) => finish(new Outcome(true, e, undefined)));
      }
    } catch (e) {
      finish(new Outcome(true, e, undefined)); // a thenable whose then cannot be read or called
    }
  });
}
