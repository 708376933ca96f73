#!/bin/sh
# An AWS_LAMBDA_EXEC_WRAPPER script: it adds to the runtime's environment, then execs it.
export WRAPPED_BY="wrapper.sh"
exec "$@"
