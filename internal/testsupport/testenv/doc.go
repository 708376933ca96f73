// Package testenv gives integration tests real dependencies: a fresh PostgreSQL database per
// test and a fresh embedded NATS server with JetStream per test. Nothing is mocked.
//
// PostgreSQL: each test binary runs one throwaway cluster (pgserver, fsync off) in a temporary
// directory, started on the first call to Postgres and stopped when the tests end. Every call to
// Postgres creates a new, empty database with a random name and drops it in t.Cleanup, so tests
// may run in parallel and never see each other's rows. Packages that use it must stop the
// cluster after their tests:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// With LAMBDOCK_TEST_DATABASE_URL set (a postgres:// URL of a role that may create databases),
// the databases are created on that server instead and no cluster is started.
//
// The cluster lives behind package-level state (a sync.Once and the handle it fills): that is the
// one way to share a server between the tests of a binary, and it is confined to this test-only
// package. Clusters left by a test binary that was killed (a -timeout panic, Ctrl-C) are found
// by their dead owner pid and removed the next time any test binary starts one.
//
// Docker: Docker returns a client of the real daemon once it answers and has the runtime image;
// tests skip on ErrDockerUnreachable and fail on ErrImageMissing. GoBuild builds the static
// binaries (agent, test function, lambdockd) that containers and end-to-end tests run.
//
// NATS: NATS starts an embedded server on a random loopback port with JetStream in t.TempDir()
// and shuts it down in t.Cleanup; it is cheap (a few milliseconds), so there is one per test.
package testenv
