// Errors of the runtime and the JSON shapes Lambda's Node.js runtimes give them.
//
// To the caller (the body of /runtime/invocation/{id}/error and /runtime/init/error) an error is
// {"errorType": <error's name>, "errorMessage": <message>, "trace": [<stack lines>]}; in the log it
// is the same object with "stack" in place of "trace". A thrown value that is not an error
// becomes {"errorType": <typeof value>, "errorMessage": String(value), "trace": []}.

import { types } from 'node:util';

/** RuntimeError is an error of the runtime itself; its name is Lambda's error type. */
class RuntimeError extends Error {}

/** ImportModuleError: the handler's module, or a module it imports, cannot be found. */
export class ImportModuleError extends RuntimeError {}
ImportModuleError.prototype.name = 'Runtime.ImportModuleError';

/** HandlerNotFound: the module has no such export, or it is not a function. */
export class HandlerNotFound extends RuntimeError {}
HandlerNotFound.prototype.name = 'Runtime.HandlerNotFound';

/** MalformedHandlerName: _HANDLER is not of the form [dir/]file.export. */
export class MalformedHandlerName extends RuntimeError {}
MalformedHandlerName.prototype.name = 'Runtime.MalformedHandlerName';

/** UserCodeSyntaxError: the handler's module (or one it loads) does not parse. */
export class UserCodeSyntaxError extends RuntimeError {}
UserCodeSyntaxError.prototype.name = 'Runtime.UserCodeSyntaxError';

/** UnhandledPromiseRejection: a promise was rejected and nothing handled it. */
export class UnhandledPromiseRejection extends RuntimeError {}
UnhandledPromiseRejection.prototype.name = 'Runtime.UnhandledPromiseRejection';

/** NodeJsExit: the event loop emptied while an async handler's promise was still pending. */
export class NodeJsExit extends RuntimeError {}
NodeJsExit.prototype.name = 'Runtime.NodeJsExit';

/** isErrorLike reports whether v should be reported as an error (name, message, stack). */
function isErrorLike(v) {
  if (types.isNativeError(v) || v instanceof Error) {
    return true;
  }
  return v !== null && typeof v === 'object' && typeof v.name === 'string' &&
    typeof v.message === 'string' && typeof v.stack === 'string';
}

/**
 * describe turns any thrown or rejected value into {errorType, errorMessage, lines}. It never
 * throws: a value whose properties cannot be read is described by its type alone.
 */
export function describe(v) {
  try {
    if (isErrorLike(v)) {
      const stack = v.stack;
      return {
        errorType: String(v.name),
        errorMessage: String(v.message),
        lines: typeof stack === 'string' ? stack.split('\n') : [],
      };
    }
    return { errorType: typeof v, errorMessage: String(v), lines: [] };
  } catch {
    return { errorType: typeof v, errorMessage: '', lines: [] };
  }
}

/** callerBody is the JSON the runtime posts to the Runtime API for error e. */
export function callerBody(d) {
  return JSON.stringify({ errorType: d.errorType, errorMessage: d.errorMessage, trace: d.lines });
}

/** logBody is the JSON Lambda writes to the function's log for error e. */
export function logBody(d) {
  return JSON.stringify({ errorType: d.errorType, errorMessage: d.errorMessage, stack: d.lines });
}

/**
 * headerType is the error type as an HTTP header value (Lambda-Runtime-Function-Error-Type):
 * characters a header cannot carry are percent-encoded.
 */
export function headerType(errorType) {
  return errorType.replace(/[^\x20-\x7e]|%/g, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff ? '%3F' : '%' + code.toString(16).toUpperCase().padStart(2, '0');
  }) || 'Unhandled';
}
