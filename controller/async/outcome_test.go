package async

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/store"
)

// TestOutcomeWriteRetriedInPlace: a transient store error when recording a finished attempt is
// tried again in place (the message is neither nakked nor run again); only an engine that
// stops naks it.
func TestOutcomeWriteRetriedInPlace(t *testing.T) {
	st := &fakeStore{finishFails: 3}
	e := fakeEngine(st, fakeController{})
	m := &fakeMsg{}
	fakeJob(e, m, eventConfig{}).succeed(context.Background(), &msg.InvocationReply{})
	if acks, naks := m.settled(); acks != 1 || naks != 0 || len(st.finishes) != 4 {
		t.Fatalf("acks %d, naks %d, writes %d; want 1, 0, 4", acks, naks, len(st.finishes))
	}

	st = &fakeStore{finishFails: 1 << 30}
	e = fakeEngine(st, fakeController{})
	m = &fakeMsg{}
	time.AfterFunc(600*time.Millisecond, e.drain)
	fakeJob(e, m, eventConfig{}).succeed(context.Background(), &msg.InvocationReply{})
	if acks, naks := m.settled(); acks != 0 || naks != 1 {
		t.Fatalf("engine stopping: acks %d, naks %d; want 0, 1", acks, naks)
	}
}

// sender is a destination that fails its first fails sends.
type sender struct {
	mu    sync.Mutex
	fails int
	err   error
	ids   []string
}

func (s *sender) send(_ context.Context, _ string, _ msg.Invocation, _ []byte, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids = append(s.ids, id)
	if s.fails > 0 {
		s.fails--
		return s.err
	}
	return nil
}

// TestDestinationDurable: the destination record is written with the final state, delivered
// under a deterministic request id however many tries a transient failure takes (the old
// engine dropped it after 4), then cleared; a permanent failure drops it; an engine stopping
// leaves it pending and the message nakked; a redelivery delivers a pending record.
func TestDestinationDurable(t *testing.T) {
	const dest = "arn:aws:nats:us-east-1:000000000000:subject/failures"
	wantID := destinationID("r1", ConditionRetriesExhausted)
	if wantID != destinationID("r1", ConditionRetriesExhausted) || wantID == destinationID("r1", ConditionSuccess) {
		t.Fatal("destinationID is not a function of request id and condition")
	}
	tests := []struct {
		name              string
		fails             int
		err               error
		stop              bool
		acks, naks, clear int
	}{
		{"transient, 5 failures", 5, errDown, false, 1, 0, 1},
		{"permanent", 1, fmt.Errorf("%w: function gone", errPermanent), false, 1, 0, 1},
		{"engine stops while the destination is down", 1 << 30, errDown, true, 0, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := &fakeStore{}
			e := fakeEngine(st, fakeController{})
			snd := &sender{fails: tt.fails, err: tt.err}
			e.sendFn = snd.send
			if tt.stop {
				time.AfterFunc(time.Second, e.drain)
			}
			m := &fakeMsg{}
			fakeJob(e, m, eventConfig{onFailure: dest}).fail(context.Background(), ConditionRetriesExhausted, 3, &msg.InvocationReply{FunctionError: "Unhandled"})
			if len(st.finishes) != 1 || st.finishes[0].PendingDestination != dest || len(st.finishes[0].PendingRecord) == 0 {
				t.Fatalf("final state written %+v; want one write with the pending record", st.finishes)
			}
			acks, naks := m.settled()
			if acks != tt.acks || naks != tt.naks || st.cleared != tt.clear {
				t.Fatalf("acks %d, naks %d, cleared %d; want %d, %d, %d", acks, naks, st.cleared, tt.acks, tt.naks, tt.clear)
			}
			for _, id := range snd.ids {
				if id != wantID {
					t.Fatalf("destination request id %s, want %s every time", id, wantID)
				}
			}
		})
	}

	// A redelivery finds the record pending: it delivers it (same id) and acks.
	st := &fakeStore{row: store.AsyncInvocation{State: store.AsyncFailed, AttemptDone: 3, Condition: ConditionRetriesExhausted,
		PendingDestination: dest, PendingRecord: []byte(`{}`)}}
	e := fakeEngine(st, fakeController{})
	snd := &sender{}
	e.sendFn = snd.send
	m := &fakeMsg{}
	j := fakeJob(e, m, eventConfig{})
	j.n = 3
	row, _ := st.ClaimAsyncInvocation(context.Background(), store.AsyncInvocation{RequestID: "r1"})
	j.completed(context.Background(), row)
	if acks, _ := m.settled(); acks != 1 || st.cleared != 1 || len(snd.ids) != 1 || snd.ids[0] != wantID {
		t.Fatalf("redelivery of a pending record: acks %d, cleared %d, sends %v", acks, st.cleared, snd.ids)
	}
}

// TestAttemptLeased: an attempt another handler holds the lease of is not run: the message is
// nakked for the lease's length (not acked: it runs the attempt if that handler dies); a
// running attempt renews its lease; an outcome recorded by another handler meanwhile is
// dropped (no destination, no next attempt from this one) and the message acked.
// (Each part failed before: the engine had no lease, ran the attempt a second time, and sent
// its own destination.)
func TestAttemptLeased(t *testing.T) {
	st := &fakeStore{start: store.AsyncAttemptLeased}
	e := fakeEngine(st, fakeController{})
	m := &fakeMsg{}
	if _, ok := fakeJob(e, m, eventConfig{}).invoke(context.Background()); ok {
		t.Fatal("an attempt under another's lease ran")
	}
	if acks, naks := m.settled(); acks != 0 || naks != 1 || m.nakDelay != time.Second+leaseMargin {
		t.Fatalf("leased elsewhere: acks %d, naks %d (delay %s); want 0, 1 (the lease left + %s)", acks, naks, m.nakDelay, leaseMargin)
	}

	st = &fakeStore{start: store.AsyncStarted, notDone: true,
		row: store.AsyncInvocation{State: store.AsyncSucceeded, AttemptDone: 1, Condition: ConditionSuccess}}
	e = fakeEngine(st, fakeController{run: 400 * time.Millisecond})
	snd := &sender{}
	e.sendFn = snd.send
	m = &fakeMsg{}
	j := fakeJob(e, m, eventConfig{onSuccess: "arn:aws:nats:us-east-1:000000000000:subject/ok"})
	reply, ok := j.invoke(context.Background())
	if !ok || reply.Error != nil {
		t.Fatalf("attempt not run: %+v", reply)
	}
	j.succeed(context.Background(), reply)
	j.stopLease()
	if st.renewals < 2 {
		t.Fatalf("lease renewed %d times during a 400 ms attempt (AckWait 90 ms); want at least 2", st.renewals)
	}
	if acks, naks := m.settled(); acks != 1 || naks != 0 || len(snd.ids) != 0 {
		t.Fatalf("finished elsewhere: acks %d, naks %d, sends %d; want 1, 0, 0", acks, naks, len(snd.ids))
	}

	// The next attempt published already: a redelivery does not publish it again (the fake has
	// no JetStream: a publish would fail and nak).
	next := time.Now().Add(time.Minute)
	st = &fakeStore{row: store.AsyncInvocation{State: store.AsyncRetrying, AttemptDone: 1, NextAttemptAt: &next, NextPublished: true}}
	e = fakeEngine(st, fakeController{})
	m = &fakeMsg{}
	row, _ := st.ClaimAsyncInvocation(context.Background(), store.AsyncInvocation{RequestID: "r1"})
	fakeJob(e, m, eventConfig{}).completed(context.Background(), row)
	if acks, naks := m.settled(); acks != 1 || naks != 0 {
		t.Fatalf("next attempt published already: acks %d, naks %d; want 1, 0", acks, naks)
	}
}
