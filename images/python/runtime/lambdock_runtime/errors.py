"""Lambda's error bodies, as its Python runtimes post them to /error and /init/error:

    {"errorMessage": "boom", "errorType": "ValueError", "requestId": "<id>",
     "stackTrace": ["  File \"/var/task/app.py\", line 3, in handler\n    raise ValueError(\"boom\")\n"]}

requestId is "" for init errors. A stack trace entry is one frame, without the column carets
of Python 3.11+ tracebacks.
"""

import json
import os
import traceback

# Frames of the runtime itself and of the import machinery are not the function's.
_RUNTIME_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_IMPORT_MACHINERY = "<frozen importlib."
_IMPORT_MODULE = os.sep + os.path.join("importlib", "__init__.py")

# Error types of the runtime itself (the others are the exception's class name).
IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
MARSHAL_ERROR = "Runtime.MarshalError"
UNMARSHAL_ERROR = "Runtime.UnmarshalError"

# The Lambda-Runtime-Function-Error-Type of an exception the handler raised.
UNHANDLED = "Unhandled"


class FunctionError(Exception):
    """An error the runtime reports for the function, with Lambda's type, message and trace."""

    def __init__(self, error_type, message, stack=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack = stack or []


def format_frames(tb):
    """The stack trace entries of traceback tb, one string per frame of user code, oldest
    first."""
    out = []
    for frame in traceback.extract_tb(tb):
        name = frame.filename
        if name.startswith((_RUNTIME_PACKAGE, _IMPORT_MACHINERY)) or name.endswith(_IMPORT_MODULE):
            continue
        entry = '  File "%s", line %s, in %s\n' % (frame.filename, frame.lineno, frame.name)
        line = (frame.line or "").strip()
        if line:
            entry += "    %s\n" % line
        out.append(entry)
    return out


def from_exception(exc, tb):
    """The FunctionError of exception exc raised by user code, tb being the part of its
    traceback that belongs to user code."""
    try:
        message = str(exc)
    except Exception:  # a broken __str__ must not take the runtime down
        message = "<unprintable %s object>" % type(exc).__name__
    return FunctionError(type(exc).__name__, message, format_frames(tb))


def body(err, request_id):
    """The JSON body (bytes) of err for the invocation request_id ("" for init)."""
    doc = {
        "errorMessage": err.message,
        "errorType": err.error_type,
        "requestId": request_id,
        "stackTrace": err.stack,
    }
    try:
        return json.dumps(doc).encode()
    except (TypeError, ValueError):  # a message that is no str: keep its text
        doc["errorMessage"] = repr(err.message)
        return json.dumps(doc).encode()


def log_text(err):
    """The log record of err as Lambda writes it: the type, the message, then the trace."""
    return "[ERROR] %s: %s\nTraceback (most recent call last):\n%s" % (
        err.error_type, err.message, "".join(err.stack))
