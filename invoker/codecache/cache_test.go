package codecache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
)

// fetcher serves zips from a map and counts calls; release, when set, holds every fetch.
type fetcher struct {
	zips    map[string][]byte
	calls   atomic.Int32
	release chan struct{}
}

func (f *fetcher) FetchCode(ctx context.Context, sha string) ([]byte, error) {
	f.calls.Add(1)
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	b, ok := f.zips[sha]
	if !ok {
		return nil, os.ErrNotExist
	}
	return b, nil
}

func hashOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestCacheExtractsOnceUnderConcurrency(t *testing.T) {
	data := buildZip(t, entry{name: "bootstrap", body: "hi"})
	sha := hashOf(data)
	f := &fetcher{zips: map[string][]byte{sha: data}, release: make(chan struct{})}
	dir := t.TempDir()
	stale := filepath.Join(dir, tmpPrefix+"leftover")
	if err := os.Mkdir(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	c, err := New(dir, f, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary tree not removed: %v", err)
	}

	// One caller gives up early: the shared extraction must still complete for the others.
	quitter, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Dir(quitter, sha); err == nil {
		t.Errorf("Dir with a cancelled context succeeded")
	}

	ctx, cancelAll := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelAll()
	var wg sync.WaitGroup
	dirs := make([]string, 8)
	errs := make([]error, 8)
	for i := range dirs {
		wg.Go(func() { dirs[i], errs[i] = c.Dir(ctx, sha) })
	}
	time.Sleep(50 * time.Millisecond) // let the callers pile up on the held fetch
	close(f.release)
	wg.Wait()
	for i := range dirs {
		if errs[i] != nil || dirs[i] != filepath.Join(dir, sha) {
			t.Errorf("caller %d: %q, %v", i, dirs[i], errs[i])
		}
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("fetched %d times, want 1", n)
	}
	if b, err := os.ReadFile(filepath.Join(dir, sha, "bootstrap")); err != nil || string(b) != "hi" {
		t.Errorf("bootstrap = %q, %v", b, err)
	}
	// A hit neither fetches nor waits.
	if _, err := c.Dir(ctx, strings.ToUpper(sha)); err != nil || f.calls.Load() != 1 {
		t.Errorf("hit: err %v, fetches %d", err, f.calls.Load())
	}
}

func TestCacheRefuses(t *testing.T) {
	good := buildZip(t, entry{name: "bootstrap", body: "hi"})
	tests := []struct {
		name string
		sha  string
		zips map[string][]byte
	}{
		{"malformed hash", "../../etc", nil},
		{"unknown code", hashOf([]byte("nothing")), nil},
		{"content does not match its hash", hashOf([]byte("other")), map[string][]byte{hashOf([]byte("other")): good}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			c, err := New(dir, &fetcher{zips: tc.zips}, zap.NewNop())
			if err != nil {
				t.Fatal(err)
			}
			if got, err := c.Dir(context.Background(), tc.sha); err == nil {
				t.Fatalf("Dir = %q, want an error", got)
			}
			left, _ := os.ReadDir(dir)
			if len(left) != 0 {
				t.Errorf("cache dir not empty after a failure: %v", left)
			}
		})
	}
}
