// Package metering carries usage records from invokers to PostgreSQL without losing or
// double-counting any.
//
//	invoker ─Publisher.Publish─▶ JetStream stream msg.StreamUsage (subject msg.UsageSubject(id),
//	Nats-Msg-Id = Usage.MsgID()) ─durable pull consumer msg.ConsumerUsage─▶ Writer ─▶ store.InsertUsage
//	controller ─Throttles every second─▶ same stream (msg.ThrottlesSubject(id)) ─▶ Writer ─▶ store.ApplyThrottles
//
// Design choices:
//
//   - The stream is a work queue on disk: a record stays in it until the writer has committed it
//     to PostgreSQL, however long PostgreSQL is away, and is removed once acked, so the stream
//     holds only the backlog. Its limits (lambdockd --usage-stream-max-bytes, default 1 GiB,
//     discard new) make a months-long outage fail loudly at the publishers (whose records then
//     wait in their spools) instead of silently dropping the oldest unbilled records.
//   - Exactly-once is the sum of idempotent steps. JetStream drops a republished record with
//     the same Nats-Msg-Id inside the duplicate window (DedupeWindow), and PostgreSQL drops a
//     record whose request id + attempt it has already stored (INSERT … ON CONFLICT DO
//     NOTHING). The aggregates are fed only by that INSERT's RETURNING set, in the same
//     transaction, so a record is added to them exactly when its row is inserted: a redelivery
//     adds nothing, a rollback adds nothing. Messages are acked only after the commit, so a
//     crash between commit and ack means a redelivery, which adds nothing.
//   - Publish is synchronous: it returns once JetStream has stored the record, retrying with
//     backoff while NATS is briefly away (the client buffers during a reconnect). It retries for
//     at most DedupeWindow, so every retry is still recognised as a duplicate by the stream;
//     invokers call it off the invocation's hot path. Asynchronous publishing would save a
//     goroutine per record but needs its own bounded buffer and flush-on-exit; the synchronous
//     call keeps the record in the caller until it is safe.
//   - A record that could not be stored within the invoker's publish timeout (NATS away, or the
//     connection closed at shutdown) goes to a spool on local disk (spool.go: one JSON line per
//     record, fsync'd before Publish returns, bounded to DefaultSpoolMaxBytes), and so does every
//     record while older ones wait there, so that the stream receives them in order.
//     Publisher.Run publishes the spool, oldest first, once JetStream answers again, also after a
//     restart of the invoker; a replay cut short starts again from its first record, whose
//     duplicates the stream or the writer drop. Only a full spool loses a record, with an error
//     log.
//   - The writer runs WriterConfig.Workers (default 3) workers on the one durable consumer; each
//     fetches up to Batch records (default 1,000) or waits up to WriterWait, and commits them in
//     one transaction: COPY into a temporary table, then one INSERT … SELECT … ON CONFLICT DO
//     NOTHING RETURNING whose result is grouped into the hourly and daily upserts. Several
//     batches in flight overlap fetching, decoding and PostgreSQL's work. Concurrent
//     transactions (workers, or writers of several controllers) take row locks in one order
//     (rows by key, aggregates by key, hourly before daily); a deadlock or serialization
//     failure is retried. When a commit fails the worker naks the batch with a growing delay
//     (up to a minute) and tries again: PostgreSQL being down delays billing and never loses
//     it. Records that cannot be decoded are terminated with an error log, since no retry can
//     ever store them.
//   - Throttles: each controller counts the invocations its admission answers with 429 (per
//     account × function × UTC hour) and publishes them about every second as a msg.Throttles
//     record with a unique ID; the writer adds them to usage_hourly/usage_daily.throttles and
//     stores the ID in usage_batches in the same transaction, so a redelivery adds nothing.
//     Counts not yet published when a controller crashes are lost (throttles are reported,
//     never billed); a clean stop publishes them.
//   - Backlog alert: the writer reads the consumer's pending + unacked count every
//     BacklogInterval; above BacklogAlert (lambdockd --usage-backlog-alert, default 100,000) it
//     logs one warning, and one info line when the backlog is back under it, and sets the
//     metrics (metrics.go: lambdock_usage_backlog_records, lambdock_usage_backlog_alert,
//     lambdock_usage_records_written_total, lambdock_usage_write_errors_total,
//     lambdock_usage_write_seconds).
//   - Retention (retention.go): a Janitor in each controller deletes raw invocation rows older
//     than the retention (lambdockd --usage-retention, default 90 days, 0 forever) and recorded
//     more than an hour ago, in bounded batches that skip rows another janitor holds, and the
//     throttle record ids applied more than 7 days ago; the aggregates are kept forever. Its
//     first cleanup runs 2 minutes after start, past the consumer's ack wait, so that records
//     written but not acked before a crash are redelivered (and skipped) first.
package metering
