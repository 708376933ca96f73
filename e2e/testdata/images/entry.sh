#!/bin/sh
# The entry point of the e2e test's shell image: it records what it was started with, then runs
# the aws-lambda-go function, which reports its environment (op env).
FROM_ENTRYPOINT="yes $*"
STARTED_IN="$PWD"
while read -r key value rest; do
	if [ "$key" = "Uid:" ]; then RUN_UID="$value"; fi
	if [ "$key" = "Gid:" ]; then RUN_GID="$value"; fi
done < /proc/self/status
export FROM_ENTRYPOINT STARTED_IN RUN_UID RUN_GID
exec /usr/local/lib/fn/bootstrap
