"""The context object a handler receives as its second argument, with the attributes and the
method of Lambda's Python context:

    aws_request_id, function_name, function_version, invoked_function_arn,
    memory_limit_in_mb (a str, as on Lambda: the AWS_LAMBDA_FUNCTION_MEMORY_SIZE text),
    log_group_name, log_stream_name, tenant_id, identity (cognito_identity_id,
    cognito_identity_pool_id; always present, None values without a Cognito caller),
    client_context (client, custom, env; None unless the caller sent one),
    get_remaining_time_in_millis(), log(msg).

Like Lambda's, these are plain objects: code may set attributes on them (mocks, middlewares).
"""

import json
import sys
import time


class FunctionInfo:
    """What the environment says about the function: the same for every invocation."""

    __slots__ = ("function_name", "function_version", "memory_limit_in_mb", "log_group_name", "log_stream_name")

    def __init__(self, environ):
        self.function_name = environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = environ.get("AWS_LAMBDA_LOG_STREAM_NAME")


class CognitoIdentity:
    """The Amazon Cognito identity of the caller (Lambda-Runtime-Cognito-Identity)."""

    def __init__(self, doc):
        self.cognito_identity_id = doc.get("cognitoIdentityId")
        self.cognito_identity_pool_id = doc.get("cognitoIdentityPoolId")

    def __repr__(self):
        return "CognitoIdentity(%r, %r)" % (self.cognito_identity_id, self.cognito_identity_pool_id)


class Client:
    """The mobile client of a client context."""

    def __init__(self, doc):
        self.installation_id = doc.get("installation_id")
        self.app_title = doc.get("app_title")
        self.app_version_name = doc.get("app_version_name")
        self.app_version_code = doc.get("app_version_code")
        self.app_package_name = doc.get("app_package_name")

    def __repr__(self):
        return "Client(%r)" % (self.__dict__,)


class ClientContext:
    """The client context the caller sent (X-Amz-Client-Context, base64-decoded JSON)."""

    def __init__(self, doc):
        client = doc.get("client")
        self.client = Client(client) if isinstance(client, dict) else None
        self.custom = doc.get("custom")
        self.env = doc.get("env")

    def __repr__(self):
        return "ClientContext(client=%r, custom=%r, env=%r)" % (self.client, self.custom, self.env)


def _json_header(headers, name):
    """The JSON object of header name, or None when it is missing or not an object."""
    text = headers.get(name)
    if not text:
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


class LambdaContext:
    """The context of one invocation."""

    def __init__(self, info, request_id, headers):
        self.aws_request_id = request_id
        self.function_name = info.function_name
        self.function_version = info.function_version
        self.memory_limit_in_mb = info.memory_limit_in_mb
        self.log_group_name = info.log_group_name
        self.log_stream_name = info.log_stream_name
        self.invoked_function_arn = headers.get("lambda-runtime-invoked-function-arn")
        self.tenant_id = headers.get("lambda-runtime-aws-tenant-id")
        try:
            self._deadline_ms = int(headers.get("lambda-runtime-deadline-ms") or 0)
        except ValueError:
            self._deadline_ms = 0
        self.identity = CognitoIdentity(_json_header(headers, "lambda-runtime-cognito-identity") or {})
        client_context = _json_header(headers, "lambda-runtime-client-context")
        self.client_context = ClientContext(client_context) if client_context is not None else None

    def get_remaining_time_in_millis(self):
        """The milliseconds left before the invocation times out (0 once it has)."""
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, msg):
        """Writes msg to the function's log, as print would without the newline."""
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,function_name=%s,"
            "memory_limit_in_mb=%s,function_version=%s,invoked_function_arn=%s,client_context=%r,"
            "identity=%r,tenant_id=%s])" % (
                self.aws_request_id, self.log_group_name, self.log_stream_name, self.function_name,
                self.memory_limit_in_mb, self.function_version, self.invoked_function_arn,
                self.client_context, self.identity, self.tenant_id))
