"""The runtime interface client of Lambdock's python3.x runtimes.

It speaks the Lambda Runtime API (GET /runtime/invocation/next, POST …/response, …/error and
/runtime/init/error) to the agent at $AWS_LAMBDA_RUNTIME_API, loads the function's handler
(_HANDLER, "module.function") from /var/task once per environment, and calls it for each
invocation with the event decoded from JSON and a Lambda context object. It is written from the
documented protocol, uses the standard library only, and is not AWS's awslambdaric.

Modules: paths (sys.path), client (the Runtime API over one keep-alive connection), loader (the
handler and its init errors), context (the context object), errors (Lambda's error bodies),
logs (the root logger), main (init and the invoke loop).
"""
