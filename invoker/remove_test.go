package invoker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// Unit tests of container removal: Docker's removal is replaced by fakeRemover so that failures
// can be injected. The real removal is covered by the integration tests.

// errDocker stands for any failure of the Docker API.
var errDocker = errors.New("docker: connection reset")

// fakeRemover removes containers on paper. The first fail calls fail with err (every call when
// fail < 0); with block set, a call waits until its context ends; with together > 0, a call waits
// until that many calls are in flight at once (or a generous deadline passes).
type fakeRemover struct {
	fail     int
	err      error
	block    bool
	together int

	mu          sync.Mutex
	calls       int
	inFlight    int
	maxInFlight int
	met         chan struct{} // closed once together calls were in flight
	metClosed   bool
}

func (f *fakeRemover) Remove(ctx context.Context, id string) error {
	f.mu.Lock()
	f.calls++
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	if f.met == nil {
		f.met = make(chan struct{})
	}
	if f.together > 0 && f.inFlight == f.together && !f.metClosed {
		close(f.met)
		f.metClosed = true
	}
	met := f.met
	failing := f.fail != 0
	if f.fail > 0 {
		f.fail--
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()

	if f.together > 0 {
		select {
		case <-met:
		case <-ctx.Done():
		case <-time.After(5 * time.Second): // not a timing assert: only how long to wait for company
		}
	}
	if f.block {
		<-ctx.Done()
		return fmt.Errorf("remove %s: %w", id, ctx.Err())
	}
	if failing {
		return fmt.Errorf("remove %s: %w", id, cmpErr(f.err, errDocker))
	}
	return nil
}

// stats returns the calls made and the most that ran at once.
func (f *fakeRemover) stats() (calls, maxInFlight int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.maxInFlight
}

// setFail changes how many further calls fail.
func (f *fakeRemover) setFail(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = n
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// testInvoker is an Invoker without Docker: pool bookkeeping and removal through r only.
func testInvoker(t *testing.T, capacityMB int, keepAlive time.Duration, r containerRemover) *Invoker {
	t.Helper()
	inv := &Invoker{cfg: Config{KeepAlive: keepAlive}, log: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)),
		remover: r, pool: newPool(capacityMB).withKeepAlive(keepAlive)}
	inv.life, inv.giveUp = context.WithCancelCause(context.Background())
	t.Cleanup(func() { inv.giveUp(errors.New("test over")) })
	return inv
}

// addIdle puts an idle environment of fn with a container into inv's pool, last used at lastUsed.
func addIdle(t *testing.T, inv *Invoker, fn function.Spec, name string, lastUsed time.Time) *env {
	t.Helper()
	g, err := inv.pool.acquire(fn, name, lastUsed, false)
	if err != nil || !g.cold || len(g.victims) > 0 {
		t.Fatalf("acquire %s: %+v, %v; want a new environment without evictions", name, g, err)
	}
	if err := inv.pool.setContainer(g.env, "container-"+name); err != nil {
		t.Fatal(err)
	}
	inv.pool.started(g.env)
	if !inv.pool.release(g.env, lastUsed) {
		t.Fatalf("release %s: not kept", name)
	}
	return g.env
}

// waitFor polls cond until it holds, failing the test after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDiscardRetriesRemoval(t *testing.T) {
	tests := []struct {
		name      string
		remover   *fakeRemover
		wantGone  bool
		wantCalls int
		wantUsed  int // after discard
	}{
		{"removed at the first attempt", &fakeRemover{}, true, 1, 0},
		{"two failures, then removed", &fakeRemover{fail: 2}, true, 3, 0},
		{"not found counts as gone", &fakeRemover{fail: -1, err: cerrdefs.ErrNotFound}, true, 1, 0},
		{"never removed: memory stays charged", &fakeRemover{fail: -1}, false, removeAttempts, 128},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv := testInvoker(t, 1024, time.Minute, tc.remover)
			e := addIdle(t, inv, specOf("a", 128, "x"), "e", time.Now())

			gone := inv.discard(context.Background(), e, "test")
			calls, _ := tc.remover.stats()
			st := inv.Stats()
			if gone != tc.wantGone || calls != tc.wantCalls || st.UsedMB != tc.wantUsed {
				t.Errorf("discard: gone %v after %d calls, used %d MB; want gone %v after %d calls, used %d MB",
					gone, calls, st.UsedMB, tc.wantGone, tc.wantCalls, tc.wantUsed)
			}
			if st.Idle != 0 {
				t.Errorf("discarded environment still idle: %+v", st)
			}
			stuck := inv.pool.takeStuck()
			if tc.wantGone != (len(stuck) == 0) {
				t.Errorf("environments left for a retry: %d, want them exactly when not gone", len(stuck))
			}
		})
	}
}

func TestDiscardStopsWhenCloseGivesUp(t *testing.T) {
	t.Parallel()
	r := &fakeRemover{block: true} // Docker hangs: each attempt would last removeTimeout
	inv := testInvoker(t, 1024, time.Minute, r)
	e := addIdle(t, inv, specOf("a", 128, "x"), "e", time.Now())

	result := make(chan bool, 1)
	go func() { result <- inv.discard(context.Background(), e, "test") }()
	waitFor(t, "the first removal attempt is under way", func() bool { calls, _ := r.stats(); return calls > 0 })
	inv.giveUp(errors.New("close: context deadline exceeded"))
	select {
	case gone := <-result:
		if gone || inv.Stats().UsedMB != 128 {
			t.Errorf("discard: gone %v, used %d MB; want not gone and the memory still charged", gone, inv.Stats().UsedMB)
		}
	case <-time.After(removeTimeout / 2):
		t.Fatalf("discard still retrying after Close gave up")
	}
}

func TestEvictionWaitsUntilVictimsAreGone(t *testing.T) {
	t.Parallel()
	r := &fakeRemover{fail: -1}
	inv := testInvoker(t, 256, time.Minute, r)
	victim := addIdle(t, inv, specOf("a", 256, "x"), "victim", time.Now())

	// The only idle environment holds all the memory and cannot be removed: no room after all.
	_, _, err := inv.acquire(context.Background(), specOf("b", 256, "x"), inv.log)
	var apiErr *lambdaerr.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 429 {
		t.Errorf("acquire with an evicted container that stays: %v; want 429", err)
	}
	if st := inv.Stats(); st.UsedMB != 256 || st.Busy != 0 {
		t.Errorf("stats %+v; want the victim's 256 MB charged and nothing started", st)
	}

	// Once its container goes away, its memory is free.
	r.setFail(0)
	stuck := inv.pool.takeStuck()
	if len(stuck) != 1 || stuck[0] != victim {
		t.Fatalf("environments left for a retry: %v, want the victim", stuck)
	}
	if !inv.discard(context.Background(), victim, "retry") || inv.Stats().UsedMB != 0 {
		t.Errorf("after the victim is gone: stats %+v; want nothing charged", inv.Stats())
	}
}
