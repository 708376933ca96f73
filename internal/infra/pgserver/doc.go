// Package pgserver runs Lambdock's own PostgreSQL cluster in a data directory, for single-host
// installs that do not give LAMBDOCK_DATABASE_URL.
//
// Design choices:
//
//   - The system's PostgreSQL server binaries are used as they are (initdb, pg_ctl, postgres from
//     PATH or the highest /usr/lib/postgresql/*/bin). An existing cluster is always started with the
//     binaries of its own major version (PG_VERSION), so an upgrade of the distribution never
//     silently opens a cluster with the wrong server.
//   - The server listens on a unix socket only (listen_addresses is empty), so there is no TCP port to
//     collide with and no password: the local socket uses trust authentication and the socket
//     directory (the data directory itself, mode 0700) is the access control. When the data
//     directory path is too long for a socket path (sun_path is 108 bytes), the socket goes into a
//     short per-cluster directory under /tmp instead, owned by the server user with mode 0700.
//   - initdb and postgres refuse to run as root. When the caller is root (lambdockd usually is),
//     they run as the "postgres" system user, or "nobody" when there is none, and the cluster
//     directory is chowned to that user. Root still connects, because root may enter any directory
//     and the bootstrap superuser is named "lambdock", which is the user name in URL.
//   - initdb writes into a sibling temporary directory that is renamed into place only when it
//     succeeded, so a crash during the first start never leaves a half-made cluster behind.
//   - The server is started and stopped with pg_ctl (start -w, stop -m fast). It is a daemon: if
//     lambdockd dies, PostgreSQL keeps running; the next Start finds the postmaster still serving
//     the data directory (by its pid file and its working directory) and stops it before starting
//     again, and removes a pid file whose process is gone or is not our postmaster. A Server
//     holds an exclusive flock on <dir>.lock from Start to Stop, so a second process never takes
//     over a cluster that a live one is using, and a dead one's lock is released by the kernel.
//   - When root runs it, the server user must be able to walk down to the data directory: Start
//     creates missing parents with mode 0755 and refuses, with an explanation, a directory below
//     one the user cannot enter (such as /root, mode 0700).
//   - Lambdock's settings live in lambdock.conf in the data directory, rewritten at every start and
//     included from postgresql.conf; ALTER SYSTEM still overrides them.
package pgserver
