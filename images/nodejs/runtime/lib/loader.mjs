// Loading the function's handler from _HANDLER, [dir/]file.export[.nested]:
//   - the file is <task root>/[dir/]file with the first of .js, .mjs, .cjs that exists; failing
//     those, file is resolved the way require does (a package in node_modules);
//   - .mjs, and .js in a package whose nearest package.json says "type": "module", are ES modules
//     (import()); .cjs and other .js files are CommonJS (require), and a .js that require cannot
//     load as CommonJS (ERR_REQUIRE_ESM, top-level await) is imported instead;
//   - export may name a nested property (index.handlers.get).
// Failures are Lambda's init errors: Runtime.MalformedHandlerName, Runtime.ImportModuleError (a
// module cannot be found), Runtime.UserCodeSyntaxError, Runtime.HandlerNotFound; anything else
// the module throws while loading is reported as thrown.

import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { HandlerNotFound, ImportModuleError, MalformedHandlerName, UserCodeSyntaxError } from './errors.mjs';

/** parseHandler splits _HANDLER into the module's directory, its name and the export path. */
export function parseHandler(handler) {
  if (handler.split('/').includes('..')) {
    throw new MalformedHandlerName("'../' not allowed in handler name. Relative paths are not supported.");
  }
  const dir = path.dirname(handler);
  const m = /^([^.]*)\.(.*)$/.exec(path.basename(handler));
  if (m === null || m[1] === '' || m[2] === '') {
    throw new MalformedHandlerName('Bad handler');
  }
  return { dir, module: m[1], exportPath: m[2] };
}

/** isFile reports whether p is a regular file. */
function isFile(p) {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** inModulePackage reports whether the nearest package.json above file says "type": "module". */
function inModulePackage(file) {
  let dir = path.dirname(file);
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        return JSON.parse(readFileSync(pj, 'utf8')).type === 'module';
      } catch {
        return false; // node reports an unparsable package.json itself when it loads the file
      }
    }
    const up = path.dirname(dir);
    if (up === dir) {
      return false;
    }
    dir = up;
  }
}

/** loadFile loads one file as an ES module or as CommonJS (see the file comment). */
async function loadFile(req, file) {
  const ext = path.extname(file);
  if (ext === '.mjs' || (ext === '.js' && inModulePackage(file))) {
    return import(pathToFileURL(file).href);
  }
  try {
    return req(file);
  } catch (e) {
    if (ext === '.js' && (e?.code === 'ERR_REQUIRE_ESM' || e?.code === 'ERR_REQUIRE_ASYNC_MODULE')) {
      return import(pathToFileURL(file).href);
    }
    throw e;
  }
}

/** loadModule finds and loads the handler's module. */
async function loadModule(req, taskRoot, h) {
  const dir = path.resolve(taskRoot, h.dir);
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const file = path.join(dir, h.module + ext);
    if (isFile(file)) {
      return loadFile(req, file);
    }
  }
  // Not a file of the task: a package, resolved as require would (its "Cannot find module"
  // error, with the runtime as the require stack, is Lambda's message for a missing handler file).
  return loadFile(req, req.resolve(h.module, { paths: [dir, taskRoot] }));
}

/** resolveExport walks the export path (a.b.c) from the module's exports. */
function resolveExport(mod, exportPath) {
  let v = mod;
  for (const name of exportPath.split('.')) {
    if (v === null || v === undefined) {
      return undefined;
    }
    v = v[name];
  }
  return v;
}

/**
 * loadHandler loads the handler named by handler from taskRoot; req is the runtime's own require,
 * through which CommonJS modules load.
 */
export async function loadHandler(req, taskRoot, handler) {
  const h = parseHandler(handler);
  let mod;
  try {
    mod = await loadModule(req, taskRoot, h);
  } catch (e) {
    // Lambda's message is the cause as "<name>: <message>" (without Node's [code] tag).
    if (e instanceof SyntaxError) {
      throw new UserCodeSyntaxError(`${e.name}: ${e.message}`);
    }
    if (e?.code === 'MODULE_NOT_FOUND' || e?.code === 'ERR_MODULE_NOT_FOUND') {
      throw new ImportModuleError(`${e.name}: ${e.message}`);
    }
    throw e;
  }
  const fn = resolveExport(mod, h.exportPath);
  if (fn === undefined) {
    throw new HandlerNotFound(`${handler} is undefined or not exported`);
  }
  if (typeof fn !== 'function') {
    throw new HandlerNotFound(`${handler} is not a function`);
  }
  return fn;
}
