// Package store is Lambdock's PostgreSQL store: accounts and access keys (it implements
// tenant.Directory), function records and per-invocation usage.
//
// Design choices:
//
//   - Every function belongs to an account: the primary key is (account_id, name), and every
//     function method takes the account. Migration 0002 creates the admin account
//     (tenant.AdminAccountID, "admin", concurrency 1000) and gives it every existing function and
//     usage record.
//   - Access keys' secrets are AES-256-GCM ciphertext under the master key (WithSecrets,
//     internal/infra/secretbox) with the key id as additional data, so a ciphertext moved to
//     another row does not decrypt. Only GetKey returns a secret.
//   - Reservations are per account: ReserveConcurrency checks the sum of the account's
//     reservations against the account's own concurrency limit.
//   - The schema is versioned SQL embedded in the binary (migrations/NNNN_name.up.sql and
//     .down.sql) and applied by golang-migrate when the store opens, under its advisory lock, so
//     several processes may open the same database at once and a new binary upgrades the schema
//     in place.
//   - Everything else goes through one pgxpool; queries are plain SQL, no ORM.
//   - A function's Environment is a jsonb object; an empty one reads back as nil.
//   - RevisionID and LastModified are set by the store on every create and update (a UUID and
//     the time in UTC at microsecond precision, which is what PostgreSQL keeps). The reserved
//     concurrency is not configuration: UpdateFunction keeps it and only SetReservedConcurrency
//     changes it, and neither bumps the revision.
//   - InsertUsage copies a whole batch (COPY, binary) into a per-connection temporary table and
//     moves it with one INSERT … SELECT … ON CONFLICT (request_id, attempt) DO NOTHING RETURNING
//     whose result feeds the hourly and daily aggregate upserts, in one transaction: atomic, and
//     idempotent on request id + attempt, which is what lets the metering writer ack only after
//     commit and redeliver freely. ApplyThrottles does the same for controller throttle counts,
//     idempotent by record id (usage_batches). A deadlock between concurrent writers is
//     retried (retry.go).
//   - Listing pages by name (keyset pagination): the marker is the last name of the previous
//     page, so pages stay stable while functions are created or deleted.
package store
