package extensions

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRegister(t *testing.T) {
	r := NewRegistry()
	if _, err := r.Register("a", []string{EventInvoke, EventShutdown}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		ext    string
		events []string
		want   error
	}{
		{"same name", "a", nil, ErrNameTaken},
		{"unknown event", "b", []string{"BOOT"}, &InvalidEventError{Event: "BOOT"}},
	}
	for _, tt := range tests {
		_, err := r.Register(tt.ext, tt.events)
		if err == nil || err.Error() != tt.want.Error() {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	for i := r.Len(); i < MaxExtensions; i++ {
		if _, err := r.Register(string(rune('c'+i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Register("one-too-many", nil); !errors.Is(err, ErrTooMany) {
		t.Errorf("err = %v, want ErrTooMany", err)
	}
	r.Close()
	r2 := NewRegistry()
	r2.Close()
	if _, err := r2.Register("late", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("err = %v, want ErrClosed", err)
	}
}

func TestPublishReachesSubscribersOnly(t *testing.T) {
	r := NewRegistry()
	invoke, _ := r.Register("invoke", []string{EventInvoke})
	shutdown, _ := r.Register("shutdown", []string{EventShutdown})
	r.Publish(EventInvoke, []byte("i1"))
	r.Publish(EventShutdown, []byte("s1"))
	r.Publish(EventInvoke, []byte("i2"))
	r.Close() // queued events are still delivered after close
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tt := range []struct {
		ext  *Extension
		want []string
	}{{invoke, []string{"i1", "i2"}}, {shutdown, []string{"s1"}}} {
		for _, want := range tt.want {
			got, err := r.Next(ctx, tt.ext)
			if err != nil || string(got) != want {
				t.Errorf("%s: Next = %q, %v; want %q", tt.ext.Name, got, err, want)
			}
		}
		if _, err := r.Next(ctx, tt.ext); !errors.Is(err, ErrClosed) {
			t.Errorf("%s: drained Next err = %v, want ErrClosed", tt.ext.Name, err)
		}
	}
}

func TestNextWaitsForCancel(t *testing.T) {
	r := NewRegistry()
	e, _ := r.Register("silent", nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Next(ctx, e); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := NewID()
		if !ValidID(id) || id[14] != '4' || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
	for _, bad := range []string{"", "nope", "00000000-0000-4000-8000-00000000000g", "00000000+0000-4000-8000-000000000000"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}
