package gateway

import (
	"testing"
	"time"
)

// TestKeyLimits walks a fake clock through a bucket's burst, refill and eviction.
func TestKeyLimits(t *testing.T) {
	if newKeyLimits(0, 5, nil).allow("AKIA") != true {
		t.Fatal("limits off refuse")
	}
	now := time.Unix(1_700_000_000, 0)
	l := newKeyLimits(2, 3, func() time.Time { return now })
	steps := []struct {
		name    string
		advance time.Duration
		key     string
		want    bool
	}{
		{"burst 1", 0, "A", true},
		{"burst 2", 0, "A", true},
		{"burst 3", 0, "A", true},
		{"empty", 0, "A", false},
		{"other key has its own bucket", 0, "B", true},
		{"half a second refills one", 500 * time.Millisecond, "A", true},
		{"empty again", 0, "A", false},
		{"no key is not limited", 0, "", true},
	}
	for _, st := range steps {
		now = now.Add(st.advance)
		if got := l.allow(st.key); got != st.want {
			t.Fatalf("%s: allow(%q) = %v, want %v", st.name, st.key, got, st.want)
		}
	}
	if l.size() != 2 {
		t.Fatalf("%d buckets, want 2", l.size())
	}
	now = now.Add(minIdle)
	if !l.allow("C") || l.size() != 1 {
		t.Fatalf("after idle time: %d buckets, want only C's", l.size())
	}
	if newKeyLimits(2.5, 0, nil).burst != 3 {
		t.Error("default burst is not the rate rounded up")
	}
}
