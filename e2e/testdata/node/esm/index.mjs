// An ES module function for the Node.js runtime's end-to-end tests; the event's op picks what
// it does.
const count = { n: 0 }; // module-level state: runs once per environment, lives across invocations

// Top-level await: only an ES module loaded with import() can do this.
const loaded = await Promise.resolve('esm');

export const handler = async (event, context) => {
  switch (event.op) {
    case 'echo':
      return { event, context, remaining: context.getRemainingTimeInMillis(), module: loaded };
    case 'log':
      console.log('hello %s', 'world', { a: 1 });
      console.warn('two\nlines');
      console.error(new RangeError('logged'));
      return 'logged';
    case 'throw':
      throw new TypeError(`bad ${event.what}`);
    case 'function':
      return () => 1; // JSON.stringify gives undefined: the caller gets null
    case 'circular': {
      const o = {};
      o.self = o;
      return o;
    }
    case 'crash':
      // Thrown from a timer, outside the handler: nothing catches it.
      await new Promise(() => setTimeout(() => { throw new Error('crashed in a timer'); }, 10));
      return 'unreachable';
    case 'sleep':
      await new Promise((resolve) => setTimeout(resolve, event.ms));
      return { slept_ms: event.ms };
    case 'count':
      count.n++;
      return { count: count.n, pid: process.pid };
    default:
      throw new Error(`unknown op ${event.op}`);
  }
};
