package logcapture

import (
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// lines collects emitted lines.
type lines struct {
	mu  sync.Mutex
	got []string
}

func (l *lines) emit(b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, string(b))
}

func (l *lines) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	got := l.got
	l.got = nil
	return got
}

func startCapture(t *testing.T) (*Capture, *lines) {
	t.Helper()
	l := &lines{}
	c, err := New(l.emit)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run() }()
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return c, l
}

func TestCaptureSync(t *testing.T) {
	tests := []struct {
		name  string
		write []string
		want  []string
	}{
		{name: "lines", write: []string{"a\nb\n"}, want: []string{"a", "b"}},
		{name: "line split across writes", write: []string{"hel", "lo\nwor", "ld\n"}, want: []string{"hello", "world"}},
		{name: "unterminated last line is flushed", write: []string{"no newline"}, want: []string{"no newline"}},
		{name: "empty line kept", write: []string{"\n"}, want: []string{""}},
		{name: "long line is cut", write: []string{strings.Repeat("y", MaxLine+3) + "\n"},
			want: []string{strings.Repeat("y", MaxLine), "yyy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, l := startCapture(t)
			for _, w := range tt.write {
				if _, err := c.Writer().WriteString(w); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Sync(); err != nil {
				t.Fatal(err)
			}
			got := l.take()
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("lines = %q, want %q", trim(got), trim(tt.want))
			}
		})
	}
}

// TestCaptureChildProcess checks that both streams of a real process arrive, in order, by the
// time Sync returns after the process ended.
func TestCaptureChildProcess(t *testing.T) {
	c, l := startCapture(t)
	cmd := exec.Command("sh", "-c", "echo out1; echo err1 >&2; echo out2")
	cmd.Stdout = c.Writer()
	cmd.Stderr = c.Writer()
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(l.take(), ","), "out1,err1,out2"; got != want {
		t.Errorf("lines = %q, want %q", got, want)
	}
}

func trim(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		if len(v) > 20 {
			v = v[:20] + "…"
		}
		out[i] = v
	}
	return out
}
