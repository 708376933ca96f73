// Package server wires lambdockd's roles together in one process: it starts the dependencies
// (embedded or external NATS, own or external PostgreSQL, the JetStream usage stream and code
// bucket), then the controller with the usage writer, the invoker with its NATS service, and the
// gateway's HTTP server, and stops them again in reverse order. Tests start a whole lambdockd
// in-process with Start.
//
// Design choices:
//
//   - Start pushes a stop step for every part it started; Shutdown (and a Start that fails
//     halfway) runs them in reverse, so parts stop in the opposite order of their dependencies:
//     HTTP first (no new requests; in-flight ones finish), then the invoker's NATS service (no new
//     invocations; running ones finish), the invoker (removes every container), the controller,
//     the usage writer, the NATS connection (drained, so buffered usage records go out), the
//     store, the own PostgreSQL and the embedded NATS server last.
//   - Steps that wait for in-flight invocations get two thirds of the shutdown budget; what is
//     still running then fails with a ServiceException, and the rest of the budget is left to
//     removing containers and stopping PostgreSQL, which must happen whatever the functions do.
//   - Only the gateway serves HTTP; its /readyz checks NATS and PostgreSQL, and the Docker daemon
//     when the invoker runs in the same process.
//   - The gateway also uses the Docker Engine (DOCKER_HOST): CreateFunction and
//     UpdateFunctionCode of a container-image function resolve its ImageUri there to the image ID
//     the function is pinned to (pulling an absent image only with --image-pull). A gateway
//     that cannot reach Docker serves everything else and refuses image functions with a 500.
//   - PostgreSQL is needed by the gateway and the controller only; an invoker-only process runs
//     without it.
package server
