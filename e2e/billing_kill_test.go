package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// TestUsageWriterSurvivesSIGKILL (issue 11, must-show 3): 40,000 usage records (and 2,000
// redelivered copies of some under other message ids) are on the usage stream; lambdockd's
// usage writer is killed with SIGKILL while it is writing them (some batches committed, others
// fetched and not yet committed or acked) and lambdockd restarts on the same data directory.
// Every record ends up stored exactly once, and the aggregates equal the sums of the rows.
func TestUsageWriterSurvivesSIGKILL(t *testing.T) {
	need(t)
	t.Parallel()
	const (
		records = 40_000
		copies  = 2_000
		fns     = 4
	)
	pg := testenv.PostgresServer(t)
	dir := dataDir(t)
	_, port, err := net.SplitHostPort(freeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	natsURL := "nats://127.0.0.1:" + port
	p := runController(t, dir, port, pg.URL())
	js := waitUsageStream(t, natsURL)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now().UTC()
	fnName := func(i int) string { return fmt.Sprintf("e2e-kill-%d", i%fns) }
	for i := range records + copies {
		j := i
		msgID := fmt.Sprintf("kill-%06d", i)
		if i >= records { // a copy of record j, as a republish after the duplicate window sends it
			j = (i - records) * (records / copies)
		}
		u := msg.Usage{RequestID: fmt.Sprintf("kill-%06d", j), Attempt: 1, AccountID: tenant.AdminAccountID,
			Function: fnName(j), Version: "$LATEST", Type: msg.InvocationTypeSync, InvokerID: "e2e",
			Start: start.Add(time.Duration(j) * time.Microsecond), DurationUs: int64(1000 + j%5000),
			BilledMs: int64(1 + (1000+j%5000+999)/1000), MemoryMB: 128 << (j % 3), MaxMemoryUsedMB: 40,
			Cold: j%50 == 0, Status: msg.UsageSuccess}
		if j%7 == 0 {
			u.Status, u.ErrorType = msg.UsageError, "Unhandled"
		}
		u = u.Normalized()
		if _, err := js.PublishAsync(msg.UsageSubject("e2e"), msg.Encode(u), jetstream.WithMsgID(msgID)); err != nil {
			t.Fatal(err)
		}
		if i%1000 == 999 || i == records+copies-1 { // stay within the client's window of pending publishes
			select {
			case <-js.PublishAsyncComplete():
			case <-ctx.Done():
				t.Fatal("publishing the records timed out")
			}
		}
	}

	conn, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	count := func() int64 {
		var n int64
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM invocations WHERE function_name LIKE 'e2e-kill-%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Kill while the writer is at work: some rows are in, most are not, and batches are fetched
	// and not yet acked (committed or not).
	cons, err := js.Consumer(ctx, msg.StreamUsage, msg.ConsumerUsage)
	if err != nil {
		t.Fatal(err)
	}
	var inFlight int
	eventuallyFor(t, 2*time.Minute, func() string {
		if n := count(); n < records/10 {
			return fmt.Sprintf("%d rows before the kill, want %d", n, records/10)
		}
		info, err := cons.Info(ctx)
		if err != nil || info.NumAckPending == 0 {
			return fmt.Sprintf("no batch in flight (%v)", err)
		}
		inFlight = info.NumAckPending
		return ""
	})
	p.kill(t)
	before := count()
	if before >= records {
		t.Fatalf("the writer had written all %d records before the kill: nothing was tested", before)
	}
	t.Logf("SIGKILL with %d of %d records written and %d fetched, unacked", before, records, inFlight)

	runController(t, dir, port, pg.URL())
	js = waitUsageStream(t, natsURL)
	eventuallyFor(t, 3*time.Minute, func() string {
		s, err := js.Stream(ctx, msg.StreamUsage)
		if err != nil {
			return err.Error()
		}
		info, err := s.Info(ctx)
		if err != nil {
			return err.Error()
		}
		if info.State.Msgs != 0 {
			return fmt.Sprintf("%d records still in the stream", info.State.Msgs)
		}
		return ""
	})
	if n := count(); n != records {
		t.Fatalf("%d rows, want %d", n, records)
	}
	for f := range fns {
		checkAggregates(t, pg.URL(), tenant.AdminAccountID, fnName(f))
	}
}

// runController runs the lambdockd binary with the controller role only (the usage writer runs
// there) on dir, its embedded NATS on natsPort and the database at dbURL, until kill or the
// test's end (SIGKILL: it has no containers).
func runController(t *testing.T, dir, natsPort, dbURL string) *lambdockdProcess {
	t.Helper()
	return startLambdockd(t, []string{"LAMBDOCK_DATABASE_URL=" + dbURL}, func(p *lambdockdProcess) {
		_ = p.cmd.Process.Kill()
		<-p.exited
	}, "--data-dir", dir, "--role", "controller", "--nats-port", natsPort, "--log-level", "warn")
}

// waitUsageStream connects to the NATS at url once it answers and waits for the usage writer's
// consumer, which exists once the writer runs.
func waitUsageStream(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	var js jetstream.JetStream
	eventuallyFor(t, time.Minute, func() string {
		nc, err := nats.Connect(url, nats.MaxReconnects(-1))
		if err != nil {
			return err.Error()
		}
		j, err := jetstream.New(nc)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, err = j.Consumer(ctx, msg.StreamUsage, msg.ConsumerUsage)
		}
		if err != nil {
			nc.Close()
			if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
				return "no usage writer yet"
			}
			return err.Error()
		}
		t.Cleanup(nc.Close)
		js = j
		return ""
	})
	return js
}
