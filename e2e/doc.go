// Package e2e holds Lambdock's end-to-end tests: a whole lambdockd (gateway, controller,
// invoker, embedded NATS, its own PostgreSQL) started in-process on a temporary data directory,
// driven over HTTP exactly as a client would, and checked against the real Docker Engine and the
// database. Nothing is mocked.
//
// They need Docker, the runtime image lambdock/provided:al2023 (`make images`) and the
// PostgreSQL server binaries; they build the agent and the test function (internal/testsupport/testfn)
// themselves. Without a reachable Docker daemon they are skipped; without the image they fail
// and say "run make images". -short skips them.
//
// The tests run one server through a story (deploy, invoke, throttle, time out, restart, shut
// down) rather than starting a server per test: a start costs an initdb, and the story is what
// an operator does. Waits are bounded polls, never sleeps with timing asserts.
//
// BenchmarkInvokeWarm measures sequential warm invokes over HTTP and reports p50 and p99.
package e2e
