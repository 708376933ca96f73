package logstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/logstore"
)

// wait bounds how long a test waits for a line to arrive (a busy shared host).
const wait = 30 * time.Second

// follower runs Follow in the background and collects what it delivers.
type follower struct {
	mu      sync.Mutex
	events  []logstore.Event
	dropped int64
	cancel  context.CancelFunc
	done    chan error
}

func startFollow(t *testing.T, o logstore.FollowOptions, run func(ctx context.Context, o logstore.FollowOptions,
	fn func(logstore.Event) error) error) *follower {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{cancel: cancel, done: make(chan error, 1)}
	o.OnDropped = func(n int64) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.dropped += n
		return nil
	}
	go func() {
		f.done <- run(ctx, o, func(e logstore.Event) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.events = append(f.events, e)
			return nil
		})
	}()
	t.Cleanup(func() { f.stop(t) })
	return f
}

// stop cancels the follow and checks that it ended without error.
func (f *follower) stop(t *testing.T) {
	t.Helper()
	if f.cancel == nil {
		return
	}
	f.cancel()
	f.cancel = nil
	select {
	case err := <-f.done:
		if err != nil {
			t.Errorf("Follow: %v", err)
		}
	case <-time.After(wait):
		t.Error("Follow did not end after its context")
	}
}

// snapshot is what was delivered so far.
func (f *follower) snapshot() ([]string, int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return messages(f.events), f.dropped
}

// until waits for the delivered messages to contain want, publishing with publishMore (if not
// nil) while it waits.
func (f *follower) until(t *testing.T, want string, publishMore func()) []string {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		got, _ := f.snapshot()
		for _, m := range got {
			if m == want {
				return got
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q never arrived; got %q", want, got)
		}
		if publishMore != nil {
			publishMore()
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestFollow follows alpha from now on, from a position and from a time, selecting lines by
// request id and text; another function's lines never arrive.
func TestFollow(t *testing.T) {
	js := newStream(t)
	base := time.Now().Add(-time.Second)
	fixture(t, js, base)
	full, err := logstore.Query(context.Background(), js, acctA, "alpha", logstore.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	run := func(ctx context.Context, o logstore.FollowOptions, fn func(logstore.Event) error) error {
		return logstore.Follow(ctx, js, acctA, "alpha", o, fn)
	}
	batch := func(fn string, dropped int64, events ...msg.LogEvent) msg.LogBatch {
		return msg.LogBatch{Account: acctA, Function: fn, Version: "$LATEST", Stream: "s", Dropped: dropped, Events: events}
	}

	t.Run("from now on", func(t *testing.T) {
		f := startFollow(t, logstore.FollowOptions{}, run)
		n := 0
		got := f.until(t, "new line", func() {
			n++
			publish(t, js, batch("beta", 0, line(time.Now(), 0, "b", "beta's new line")))
			publish(t, js, batch("alpha", 3, line(time.Now(), 0, "r9", "new line")))
		})
		for _, m := range got {
			if m != "new line" {
				t.Errorf("delivered %q: only new lines of alpha may come", m)
			}
		}
		f.stop(t)
		if _, dropped := f.snapshot(); dropped%3 != 0 || dropped == 0 {
			t.Errorf("dropped %d, want a multiple of 3", dropped)
		}
	})

	t.Run("after a position", func(t *testing.T) {
		f := startFollow(t, logstore.FollowOptions{After: full.Events[4].ID()}, run)
		got := f.until(t, "between invocations", nil)
		want := messages(full.Events[5:]) // then the "new line"s of the first subtest
		if len(got) < len(want) || fmt.Sprint(got[:len(want)]) != fmt.Sprint(want) {
			t.Errorf("delivered %q, want %q first", got, want)
		}
	})

	t.Run("since, by request id", func(t *testing.T) {
		f := startFollow(t, logstore.FollowOptions{Match: logstore.Match{Since: base.Add(-time.Hour), RequestID: "r2"}}, run)
		f.until(t, "error in r2", nil)
		publish(t, js, batch("alpha", 0, line(time.Now(), 0, "r1", "late r1"), line(time.Now(), 1, "r2", "late r2")))
		got := f.until(t, "late r2", nil)
		if want := []string{"hello from r2", "error in r2", "late r2"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("delivered %q, want %q", got, want)
		}
	})

	t.Run("filter", func(t *testing.T) {
		f := startFollow(t, logstore.FollowOptions{Match: logstore.Match{Since: base.Add(-time.Hour), Filter: "ERROR"}}, run)
		got := f.until(t, "ERROR boom in r1", nil)
		if len(got) != 1 {
			t.Errorf("delivered %q", got)
		}
	})
}

// TestFollowStopsOnError: an error of fn ends the follow with it; a bad token is refused.
func TestFollowStopsOnError(t *testing.T) {
	js := newStream(t)
	fixture(t, js, time.Now())
	stop := errors.New("enough")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	n := 0
	err := logstore.Follow(ctx, js, acctA, "alpha", logstore.FollowOptions{Match: logstore.Match{Since: time.Now().Add(-time.Hour)}},
		func(logstore.Event) error {
			if n++; n == 2 {
				return stop
			}
			return nil
		})
	if !errors.Is(err, stop) || n != 2 {
		t.Errorf("Follow = %v after %d events, want the callback's error after 2", err, n)
	}
	if err := logstore.Follow(ctx, js, acctA, "alpha", logstore.FollowOptions{After: "nope"},
		func(logstore.Event) error { return nil }); !errors.Is(err, logstore.ErrBadToken) {
		t.Errorf("bad token: %v", err)
	}
}
