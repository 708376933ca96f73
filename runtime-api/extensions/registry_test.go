package extensions

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
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

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []struct {
		name string
		mode os.FileMode
	}{{"b-ext", 0o755}, {"a-ext", 0o700}, {"data.json", 0o644}} {
		if err := os.WriteFile(filepath.Join(dir, f.name), nil, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "subdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "b-ext"), filepath.Join(dir, "c-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "d-dangling")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		want []string
	}{
		{"executables by name, links followed", dir, []string{"a-ext", "b-ext", "c-link"}},
		{"missing directory", filepath.Join(dir, "nope"), nil},
	}
	for _, tt := range tests {
		got, err := Discover(tt.dir)
		var names []string
		for _, p := range got {
			names = append(names, filepath.Base(p))
		}
		if err != nil || strings.Join(names, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: %v, %v; want %v", tt.name, names, err, tt.want)
		}
	}
}

func TestEnviron(t *testing.T) {
	got := Environ([]string{"_HANDLER=app.handler", "AWS_REGION=us-east-1", "_X_AMZN_TRACE_ID=x", "A_B=_c"})
	if strings.Join(got, " ") != "AWS_REGION=us-east-1 A_B=_c" {
		t.Errorf("Environ = %q", got)
	}
}

func TestReadiness(t *testing.T) {
	r := NewRegistry()
	if !isClosed(r.Ready()) || !isClosed(r.Registered()) {
		t.Fatal("an empty registry is not ready")
	}
	r.Expect([]string{"ext"})
	if isClosed(r.Ready()) || isClosed(r.Registered()) {
		t.Fatal("ready before the expected extension registered")
	}
	e, err := r.Register("ext", []string{EventInvoke, EventShutdown})
	if err != nil {
		t.Fatal(err)
	}
	if !isClosed(r.Registered()) || isClosed(r.Ready()) {
		t.Fatal("registered but not yet in /event/next: must not be ready")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan string, 1)
	go func() {
		b, _ := r.Next(ctx, e)
		got <- string(b)
	}()
	select {
	case <-r.Ready():
	case <-ctx.Done():
		t.Fatal("never ready while waiting in Next")
	}
	if state, events := r.Status("ext"); state != "Ready" || strings.Join(events, ",") != "INVOKE,SHUTDOWN" {
		t.Errorf("Status = %s %v", state, events)
	}
	r.Publish(EventInvoke, []byte("inv"))
	if isClosed(r.Ready()) || r.ExternalSettled() {
		t.Error("ready with an event queued")
	}
	if b := <-got; b != "inv" {
		t.Errorf("Next = %q", b)
	}
	r.Gone("ext")
	if isClosed(r.Ready()) || !r.ExternalSettled() {
		t.Error("a gone extension must leave Ready open and count as settled")
	}
	r.FailInit(e, "Extension.X")
	if name, typ := r.Failure(); !isClosed(r.Failed()) || name != "ext" || typ != "Extension.X" {
		t.Errorf("Failure = %s %s", name, typ)
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
