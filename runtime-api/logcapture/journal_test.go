package logcapture

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/internal/lambda/rules"
)

func TestAppendTail(t *testing.T) {
	tests := []struct {
		name    string
		tail, b string
		limit   int
		want    string
	}{
		{name: "fits", tail: "ab", b: "cd", limit: 8, want: "abcd"},
		{name: "exactly full", tail: "abcd", b: "efgh", limit: 8, want: "abcdefgh"},
		{name: "drops oldest", tail: "abcdef", b: "ghij", limit: 8, want: "cdefghij"},
		{name: "b alone too long", tail: "ab", b: "0123456789", limit: 4, want: "6789"},
		{name: "empty", tail: "", b: "", limit: 4, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendTail([]byte(tt.tail), []byte(tt.b), tt.limit)
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestJournalFramesInvocations(t *testing.T) {
	var out bytes.Buffer
	j := NewJournal(&out)
	j.Print("init line")
	j.Begin()
	j.Print("START")
	j.Print("function line")
	j.Print("END")
	tail := j.End()
	j.Print("after response")

	if got, want := out.String(), "init line\nSTART\nfunction line\nEND\nafter response\n"; got != want {
		t.Errorf("container log = %q, want %q", got, want)
	}
	if got, want := string(tail), "START\nfunction line\nEND\n"; got != want {
		t.Errorf("tail = %q, want %q", got, want)
	}

	j.Begin()
	long := strings.Repeat("x", 3000)
	j.Print("first " + long)
	j.Print("second " + long)
	tail = j.End()
	if len(tail) != rules.LogTailBytes {
		t.Fatalf("tail is %d bytes, want %d", len(tail), rules.LogTailBytes)
	}
	if !strings.HasSuffix(string(tail), "second "+long+"\n") {
		t.Errorf("tail does not end with the last line")
	}
}

// writes records every Write separately.
type writes struct{ got []string }

func (w *writes) Write(p []byte) (int, error) {
	w.got = append(w.got, string(p))
	return len(p), nil
}

func TestJournalWritesAFrameOnce(t *testing.T) {
	big := strings.Repeat("y", maxPending)
	tests := []struct {
		name  string
		lines []string // of the invocation, between Begin and End
		want  []string // the Writes, in order, after "init line"
	}{
		{name: "no-op invocation", lines: []string{"START", "END", "REPORT"},
			want: []string{"START\nEND\nREPORT\n"}},
		{name: "function lines", lines: []string{"START", "a", "b", "END", "REPORT"},
			want: []string{"START\na\nb\nEND\nREPORT\n"}},
		{name: "a frame over the bound is written as it grows", lines: []string{"START", big, "END", "REPORT"},
			want: []string{"START\n" + big + "\n", "END\nREPORT\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &writes{}
			j := NewJournal(w)
			j.Print("init line")
			j.Begin()
			for _, l := range tt.lines {
				j.Print(l)
			}
			if len(tt.want) == 1 && len(w.got) != 1 {
				t.Fatalf("written before End: %q", w.got[1:])
			}
			j.End()
			j.Print("after")
			want := append(append([]string{"init line\n"}, tt.want...), "after\n")
			if strings.Join(w.got, "|") != strings.Join(want, "|") {
				t.Errorf("writes = %.200q, want %.200q", w.got, want)
			}
		})
	}
}
