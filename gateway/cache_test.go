package gateway

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/store"
)

// slowStore is the part of Store the cache uses: ResolveQualifier blocks until release is closed and
// counts its calls.
type slowStore struct {
	Store
	release chan struct{}
	calls   atomic.Int32
	memory  atomic.Int32
}

func (s *slowStore) ResolveQualifier(ctx context.Context, account, name, qualifier string) (*store.Target, error) {
	s.calls.Add(1)
	mem := int(s.memory.Load())
	<-s.release
	return &store.Target{Version: &store.Function{AccountID: account, Name: name, MemoryMB: mem}}, nil
}

// TestCacheInvalidationDuringLoad checks that a load that raced an invalidation is returned to
// its caller but not cached.
func TestCacheInvalidationDuringLoad(t *testing.T) {
	s := &slowStore{release: make(chan struct{})}
	s.memory.Store(128)
	c := newFunctionCache(s, time.Hour)
	ctx := context.Background()

	result := make(chan *store.Target, 1)
	go func() {
		f, err := c.get(ctx, "a", "fn", "")
		if err != nil {
			t.Error(err)
		}
		result <- f
	}()
	for s.calls.Load() == 0 { // the load has read the old record
		time.Sleep(time.Millisecond)
	}
	s.memory.Store(256)
	c.invalidate("a", "fn") // the change lands while the load is in flight
	close(s.release)
	if f := <-result; f.Version.MemoryMB != 128 {
		t.Errorf("in-flight load returned %d MB, want the 128 MB it read", f.Version.MemoryMB)
	}
	if f, err := c.get(ctx, "a", "fn", ""); err != nil || f.Version.MemoryMB != 256 {
		t.Errorf("after the invalidation: %+v, %v; want a fresh 256 MB read", f, err)
	}
	if _, err := c.get(ctx, "a", "fn", ""); err != nil || s.calls.Load() != 2 {
		t.Errorf("%d store reads, want 2: the raced load and one after it, then warm gets (%v)", s.calls.Load(), err)
	}
}

// TestCacheSharedLoad checks that concurrent misses share one store read, that a caller who gives
// up gets its context's error without cancelling the read, and that the read is then cached.
func TestCacheSharedLoad(t *testing.T) {
	s := &slowStore{release: make(chan struct{})}
	s.memory.Store(128)
	c := newFunctionCache(s, time.Hour)

	const waiters = 4
	results := make(chan error, waiters)
	for range waiters {
		go func() {
			f, err := c.get(context.Background(), "a", "fn", "")
			if err == nil && f.Version.MemoryMB != 128 {
				err = fmt.Errorf("got %d MB, want 128", f.Version.MemoryMB)
			}
			results <- err
		}()
	}
	for s.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.get(ctx, "a", "fn", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("a caller whose context ended got %v, want context.Canceled", err)
	}
	time.Sleep(20 * time.Millisecond) // every waiter has reached the cache
	close(s.release)
	for range waiters {
		if err := <-results; err != nil {
			t.Error(err)
		}
	}
	if _, err := c.get(context.Background(), "a", "fn", ""); err != nil || s.calls.Load() != 1 {
		t.Errorf("%d store reads, want 1 shared by every miss and then cached (%v)", s.calls.Load(), err)
	}
}

// TestCacheGetAfterInvalidationDoesNotJoinOlderLoad checks that a get that starts after an
// invalidation reads the store again rather than share a read that began before the change.
func TestCacheGetAfterInvalidationDoesNotJoinOlderLoad(t *testing.T) {
	s := &slowStore{release: make(chan struct{})}
	s.memory.Store(128)
	c := newFunctionCache(s, time.Hour)
	get := func() <-chan *store.Target {
		out := make(chan *store.Target, 1)
		go func() {
			f, err := c.get(context.Background(), "a", "fn", "")
			if err != nil {
				t.Error(err)
			}
			out <- f
		}()
		return out
	}
	old := get()
	for s.calls.Load() == 0 { // the first read has the old record
		time.Sleep(time.Millisecond)
	}
	s.memory.Store(256)
	c.invalidate("a", "fn")
	fresh := get()
	deadline := time.Now().Add(5 * time.Second)
	for s.calls.Load() < 2 { // the second get starts its own read
		if time.Now().After(deadline) {
			close(s.release)
			t.Fatalf("a get after the invalidation joined the read that began before it")
		}
		time.Sleep(time.Millisecond)
	}
	close(s.release)
	if f := <-old; f.Version.MemoryMB != 128 {
		t.Errorf("the older read returned %d MB, want 128", f.Version.MemoryMB)
	}
	if f := <-fresh; f.Version.MemoryMB != 256 {
		t.Errorf("a get after the invalidation returned %d MB, want 256", f.Version.MemoryMB)
	}
}

// TestCacheInvalidatesOneFunction: invalidating a function drops each of its qualifiers and
// nothing else (not another account's function of that name, nor a function whose name it
// starts), and leaves no index behind.
func TestCacheInvalidatesOneFunction(t *testing.T) {
	s := &slowStore{release: make(chan struct{})}
	close(s.release)
	c := newFunctionCache(s, time.Hour)
	ctx := context.Background()
	keys := []struct{ account, name, qualifier string }{
		{"a", "fn", ""}, {"a", "fn", "$LATEST"}, {"a", "fn", "1"}, {"a", "fn", "prod"},
		{"b", "fn", ""}, {"a", "fn2", "prod"},
	}
	for _, k := range keys {
		if _, err := c.get(ctx, k.account, k.name, k.qualifier); err != nil {
			t.Fatal(err)
		}
	}
	loads := s.calls.Load() // "" and $LATEST share an entry
	c.invalidate("a", "fn")
	tests := []struct {
		account, name, qualifier string
		reload                   bool
	}{
		{"a", "fn", "", true}, {"a", "fn", "1", true}, {"a", "fn", "prod", true},
		{"b", "fn", "", false}, {"a", "fn2", "prod", false},
	}
	for _, tt := range tests {
		before := s.calls.Load()
		if _, err := c.get(ctx, tt.account, tt.name, tt.qualifier); err != nil {
			t.Fatal(err)
		}
		if reloaded := s.calls.Load() > before; reloaded != tt.reload {
			t.Errorf("%s/%s:%s reloaded %v, want %v", tt.account, tt.name, tt.qualifier, reloaded, tt.reload)
		}
	}
	if loads != 5 {
		t.Errorf("%d loads for the first gets, want 5", loads)
	}
	c.invalidate("a", "fn")
	c.invalidate("b", "fn")
	c.invalidate("a", "fn2")
	c.c.mu.Lock()
	defer c.c.mu.Unlock()
	if len(c.c.entries) != 0 || len(c.c.groups) != 0 {
		t.Errorf("after invalidating every function: %d entries, %d groups left", len(c.c.entries), len(c.c.groups))
	}
}
