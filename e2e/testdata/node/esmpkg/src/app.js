// A .js file in a "type": "module" package, in a subdirectory (handler src/app.handler): an ES
// module, which top-level await proves.
const kind = await Promise.resolve('esm-package');

export const handler = async (event) => ({ kind, event });
