"""Loading the handler named by _HANDLER, once per environment.

The handler is "module.function": the last dot separates the function, and the module may be a
dotted path (pkg.mod.fn) or a path below /var/task (dir/file.fn). Failures are Lambda's init
errors:

    Runtime.MalformedHandlerName  "Bad handler 'x': not enough values to unpack (expected 2, got 1)"
    Runtime.BuiltInModuleConflict "Cannot use built-in module sys as a handler module"
    Runtime.ImportModuleError     "Unable to import module 'app': No module named 'app'"
    Runtime.UserCodeSyntaxError   "Syntax error in module 'app': invalid syntax (app.py, line 3)"
    Runtime.HandlerNotFound       "Handler 'nope' missing on module 'app'"

Any other exception of the module's own code keeps its class name as the error type, with the
module's frames as the stack trace.
"""

import importlib
import sys

from . import errors


def split(handler):
    """The module and function names of handler."""
    try:
        module, function = handler.rsplit(".", 1)
    except ValueError as e:
        raise errors.FunctionError(errors.MALFORMED_HANDLER_NAME, "Bad handler '%s': %s" % (handler, e))
    return module, function


def load(handler):
    """Imports the handler's module and returns the handler function."""
    module_name, function = split(handler)
    import_name = module_name.replace("/", ".")
    if import_name.split(".")[0] in sys.builtin_module_names:
        raise errors.FunctionError(errors.BUILT_IN_MODULE_CONFLICT,
                                   "Cannot use built-in module %s as a handler module" % module_name)
    try:
        module = importlib.import_module(import_name)
    except ImportError as e:
        raise errors.FunctionError(errors.IMPORT_MODULE_ERROR,
                                   "Unable to import module '%s': %s" % (module_name, e))
    except SyntaxError as e:
        where = '  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text or "")
        raise errors.FunctionError(errors.USER_CODE_SYNTAX_ERROR,
                                   "Syntax error in module '%s': %s" % (module_name, e), [where])
    except Exception as e:
        raise errors.from_exception(e, e.__traceback__)
    try:
        return getattr(module, function)
    except AttributeError:
        raise errors.FunctionError(errors.HANDLER_NOT_FOUND,
                                   "Handler '%s' missing on module '%s'" % (function, module_name))
