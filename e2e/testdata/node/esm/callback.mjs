// Callback-style handlers: the answer is the callback's (or context.succeed's). A timer left
// running after the callback mutates the result: with callbackWaitsForEmptyEventLoop (the
// default) the answer waits for it, so the caller sees timerRan true.
export function handler(event, context, callback) {
  const result = { via: event.op, timerRan: false };
  switch (event.op) {
    case 'callback':
      context.callbackWaitsForEmptyEventLoop = event.wait !== false;
      setTimeout(() => { result.timerRan = true; }, 300);
      callback(null, result);
      return;
    case 'callback-error':
      callback(new RangeError('callback failed'));
      return;
    case 'succeed':
      context.succeed(result);
      return;
    default:
      callback(`unknown op ${event.op}`);
  }
}
