// The console as Lambda's Node.js runtimes patch it: every call writes one line to stdout,
//   <ISO-8601 timestamp>\t<request id>\t<LEVEL>\t<util.format of the arguments>
// with the message's own newlines turned into carriage returns, so that a multi-line message
// (a stack trace, a pretty-printed object) stays one log record. Before the first invocation the
// request id is "undefined", as on Lambda.

import { format } from 'node:util';

const levels = {
  log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE', fatal: 'FATAL',
};

/** Logger writes the function's log lines and knows the invocation they belong to. */
export class Logger {
  constructor(out) {
    this.out = out;
    this.requestId = undefined;
  }

  /** line writes one record at level. */
  line(level, args) {
    const msg = format(...args).replace(/\n/g, '\r');
    this.out.write(`${new Date().toISOString()}\t${this.requestId}\t${level}\t${msg}\n`);
  }

  /** patch replaces console's printing methods with ones writing through this logger. */
  patch(con) {
    for (const [method, level] of Object.entries(levels)) {
      con[method] = (...args) => this.line(level, args);
    }
    // console.trace prints the call's stack after the message, as Node's does.
    con.trace = (...args) => {
      const e = { name: 'Trace', message: format(...args) };
      Error.captureStackTrace(e, con.trace);
      this.line('TRACE', [e.stack]);
    };
  }
}
