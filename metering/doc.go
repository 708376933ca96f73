// Package metering carries usage records from invokers to PostgreSQL without losing or
// double-counting any.
//
//	invoker ─Publisher.Publish─▶ JetStream stream msg.StreamUsage (subject msg.UsageSubject(id),
//	Nats-Msg-Id = request id) ─durable pull consumer msg.ConsumerUsage─▶ Writer ─▶ store.InsertUsage
//
// Design choices:
//
//   - The stream is a work queue on disk: a record stays in it until the writer has committed it
//     to PostgreSQL, however long PostgreSQL is away, and is removed once acked, so the stream
//     holds only the backlog. Its limits (1 GiB, discard new) make a months-long outage fail
//     loudly at the publishers instead of silently dropping the oldest unbilled records.
//   - Exactly-once is the sum of two idempotent steps. JetStream drops a republished record with
//     the same Nats-Msg-Id inside the duplicate window (DedupeWindow), and PostgreSQL drops a
//     record whose request id it has already stored (INSERT … ON CONFLICT DO NOTHING). So a
//     publisher may retry and the writer may see a record again after a lost ack or a crash.
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
//   - The writer fetches up to WriterBatch records or waits up to WriterWait, inserts them in one
//     statement and acks them only after the commit. When the insert fails it naks the batch with
//     a growing delay (up to a minute) and tries again: PostgreSQL being down delays billing and
//     never loses it. Records that cannot be decoded are terminated with an error log, since no
//     retry can ever store them.
//   - Several writers (controller replicas) may share the durable consumer; JetStream gives each
//     record to one of them at a time.
package metering
