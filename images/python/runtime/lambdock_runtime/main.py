"""Init and the invoke loop of the runtime.

Init sets the search path and the root logger, then loads the handler; an init error is posted
to /runtime/init/error (requestId "") and the process exits with status 1. Then, for each
invocation: the event is decoded from JSON (an empty body is {}), the handler is called with it
and a context object, and its result is posted as JSON (None is null), or the exception it
raised as Lambda's error body with the error type Unhandled. A result JSON cannot express is a
Runtime.MarshalError.
"""

import json
import os
import sys

from . import errors, loader, logs, paths
from .client import RuntimeClient
from .context import FunctionInfo, LambdaContext

TRACE_ENV = "_X_AMZN_TRACE_ID"


def _encode_default(o):
    """Encodes what json cannot by itself: Decimal (boto3's DynamoDB numbers) as a number. The
    decimal module is not imported for it (a cold start's cost): without it, o is no Decimal."""
    decimal = sys.modules.get("decimal")
    if decimal is not None and isinstance(o, decimal.Decimal):
        if o.is_nan():
            return None
        integral = o == o.to_integral_value()
        return int(o) if integral and o.is_finite() else float(o)
    raise TypeError("Object of type %s is not JSON serializable" % type(o).__name__)


def new_encoder(version):
    """The result encoder of Python version (major, minor): from 3.12 on, Lambda's Python
    runtimes keep non-ASCII characters as UTF-8 instead of \\u escapes."""
    return json.JSONEncoder(default=_encode_default, ensure_ascii=version < (3, 12))


def report_init_error(client, err):
    """Logs err and posts it to /runtime/init/error."""
    sys.stdout.write(errors.log_text(err) + "\n")
    client.init_error(err.error_type, errors.body(err, ""))


def main():
    environ = os.environ
    paths.set_search_path()
    ids = logs.setup(environ)
    client = RuntimeClient(environ["AWS_LAMBDA_RUNTIME_API"])
    try:
        handler = loader.load(environ.get("_HANDLER", ""))
    except errors.FunctionError as err:
        report_init_error(client, err)
        sys.exit(1)
    serve(client, handler, FunctionInfo(environ), ids, new_encoder(sys.version_info[:2]))


def serve(client, handler, info, ids, encoder):
    """Serves invocations until the process is stopped."""
    environ = os.environ
    loads = json.loads
    encode = encoder.encode
    while True:
        inv = client.next()
        request_id = inv.request_id
        ids.request_id = request_id
        trace = inv.headers.get("lambda-runtime-trace-id")
        if trace:
            environ[TRACE_ENV] = trace
        elif TRACE_ENV in environ:
            del environ[TRACE_ENV]
        try:
            event = loads(inv.event) if inv.event else {}
        except ValueError as e:
            fail(client, request_id, errors.FunctionError(errors.UNMARSHAL_ERROR, "Unable to unmarshal input: %s" % e))
            continue
        try:
            result = handler(event, LambdaContext(info, request_id, inv.headers))
        except Exception as e:
            fail(client, request_id, errors.from_exception(e, e.__traceback__.tb_next), errors.UNHANDLED)
            continue
        try:
            payload = encode(result).encode()
        except (TypeError, ValueError, OverflowError, RecursionError) as e:
            fail(client, request_id, errors.FunctionError(errors.MARSHAL_ERROR, "Unable to marshal response: %s" % e))
            continue
        client.respond(request_id, payload)


def fail(client, request_id, err, error_type=None):
    """Logs err and posts it as the error of invocation request_id, with the error type header
    error_type (err's own type when None)."""
    sys.stdout.write(errors.log_text(err) + "\n")
    client.fail(request_id, error_type or err.error_type, errors.body(err, request_id))
