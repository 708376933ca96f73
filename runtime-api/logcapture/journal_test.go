package logcapture

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/msg"
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

// drain takes everything the sink holds.
func drain(t *testing.T, s *Sink) ([]msg.LogEvent, int64) {
	t.Helper()
	var all []msg.LogEvent
	var dropped int64
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		ev, d, err := s.Take(ctx, 1<<20)
		cancel()
		if err != nil {
			return all, dropped
		}
		all = append(all, ev...)
		dropped += d
	}
}

// render is "rid|type|msg" per event.
func render(events []msg.LogEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.RequestID + "|" + e.Type + "|" + e.Message
	}
	return out
}

func TestJournalFramesInvocations(t *testing.T) {
	var out bytes.Buffer
	sink := NewSink(0)
	j := NewJournal(&out, sink)
	j.Line([]byte("init line"))
	j.Begin("r1")
	j.Platform(StartPlatform("r1", "$LATEST"))
	j.Line([]byte("function line"))
	j.Platform(EndPlatform("r1", "success", ""))
	tail := j.End()
	j.Line([]byte("after response"))
	j.Flush(time.Second)

	if got, want := out.String(), "init line\nafter response\n"; got != want {
		t.Errorf("container log = %q, want %q (an invocation's lines go to the log stream only)", got, want)
	}
	if got, want := string(tail), "START RequestId: r1 Version: $LATEST\nfunction line\nEND RequestId: r1\n"; got != want {
		t.Errorf("tail = %q, want %q", got, want)
	}
	events, dropped := drain(t, sink)
	want := []string{"|function|init line", "r1|platform|START RequestId: r1 Version: $LATEST", "r1|function|function line",
		"r1|platform|END RequestId: r1", "|function|after response"}
	if got := render(events); strings.Join(got, "\n") != strings.Join(want, "\n") || dropped != 0 {
		t.Errorf("events = %q (dropped %d), want %q", got, dropped, want)
	}

	j.Begin("r2")
	long := strings.Repeat("x", 3000)
	j.Line([]byte("first " + long))
	j.Line([]byte("second " + long))
	tail = j.End()
	if len(tail) != rules.LogTailBytes {
		t.Fatalf("tail is %d bytes, want %d", len(tail), rules.LogTailBytes)
	}
	if !strings.HasSuffix(string(tail), "second "+long+"\n") {
		t.Errorf("tail does not end with the last line")
	}
}

func TestJournalCapsAnInvocationsOutput(t *testing.T) {
	line := strings.Repeat("z", 1023) // 1 KiB with its newline
	tests := []struct {
		name       string
		lines      int
		wantLines  int
		wantMarker bool
	}{
		{name: "under the cap", lines: 10, wantLines: 10},
		{name: "exactly the cap", lines: MaxOutput / 1024, wantLines: MaxOutput / 1024},
		{name: "over the cap", lines: MaxOutput/1024 + 50, wantLines: MaxOutput / 1024, wantMarker: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := NewSink(4 << 20)
			j := NewJournal(&bytes.Buffer{}, sink)
			for round := range 2 { // the cap is per invocation
				rid := []string{"a", "b"}[round]
				j.Begin(rid)
				j.Platform(StartPlatform(rid, "$LATEST"))
				for range tt.lines {
					j.Line([]byte(line))
				}
				j.Platform(EndPlatform(rid, "success", ""))
				j.Platform(ReportPlatform(Report{RequestID: rid, Measure: rules.Measure{Duration: time.Millisecond, MemoryMB: 128}}, "success"))
				j.End()
				events, _ := drain(t, sink)
				fn, markers := 0, 0
				for _, e := range events {
					if e.RequestID != rid {
						t.Fatalf("event of %q in invocation %q", e.RequestID, rid)
					}
					switch {
					case e.Type == msg.LogTypeFunction:
						fn++
					case e.Message == TruncatedMessage:
						markers++
					}
				}
				if fn != tt.wantLines || (markers == 1) != tt.wantMarker || markers > 1 {
					t.Errorf("%s: %d function lines and %d markers, want %d and marker %v", rid, fn, markers, tt.wantLines, tt.wantMarker)
				}
				last := events[len(events)-1].Message
				if !strings.HasPrefix(last, "REPORT RequestId: "+rid) || !strings.HasPrefix(events[len(events)-2].Message, "END") {
					t.Errorf("%s: END and REPORT are not the last lines: %q", rid, last)
				}
			}
		})
	}
}

func TestSinkDropsAndCountsWhenFull(t *testing.T) {
	sink := NewSink(10 * (100 + len("r") + eventOverhead))
	j := NewJournal(&bytes.Buffer{}, sink)
	j.Begin("r")
	for i := range 25 {
		j.Line([]byte(strings.Repeat(string(rune('a'+i)), 100)))
	}
	events, dropped := drain(t, sink)
	if len(events) != 10 || dropped != 15 {
		t.Fatalf("kept %d, dropped %d; want 10 and 15", len(events), dropped)
	}
	if events[0].Message[0] != 'a' || events[9].Message[0] != 'j' {
		t.Errorf("kept the wrong lines: first %q, last %q", events[0].Message[:1], events[9].Message[:1])
	}
	// Room again: the next lines are kept, and the count was reported once.
	j.Line([]byte("after"))
	events, dropped = drain(t, sink)
	if len(events) != 1 || dropped != 0 {
		t.Errorf("after draining: %d events, %d dropped; want 1 and 0", len(events), dropped)
	}
}

func TestSinkTakeBoundsAChunk(t *testing.T) {
	sink := NewSink(1 << 20)
	for range 100 {
		sink.Push(msg.LogEvent{Type: msg.LogTypeFunction, Message: strings.Repeat("q", 1000)})
	}
	ev, _, err := sink.Take(context.Background(), 10*1024)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ev); n == 0 || n*(1000+eventOverhead) > 10*1024 {
		t.Errorf("a chunk of %d events exceeds 10 KiB", n)
	}
	big := NewSink(1 << 20)
	big.Push(msg.LogEvent{Message: strings.Repeat("w", 20*1024)})
	if ev, _, _ := big.Take(context.Background(), 1024); len(ev) != 1 {
		t.Errorf("an event larger than the chunk bound is not returned alone: %d events", len(ev))
	}
}

func TestJournalJSONFormat(t *testing.T) {
	at := time.Date(2026, 12, 1, 7, 0, 0, 123e6, time.UTC)
	report := Report{RequestID: "r1", Measure: rules.Measure{Duration: 1500 * time.Microsecond, InitDuration: 20 * time.Millisecond,
		MemoryMB: 128, MaxMemoryBytes: 40 << 20}}
	tests := []struct {
		name   string
		format Format
		want   []string // messages, in order
	}{
		{name: "text", format: NewFormat("Text", "", ""), want: []string{
			"START RequestId: r1 Version: $LATEST", "hello", "END RequestId: r1", report.String()}},
		{name: "json", format: NewFormat("JSON", "INFO", ""), want: []string{
			`{"time":"2026-12-01T07:00:00.123Z","type":"platform.start","record":{"requestId":"r1","version":"$LATEST"}}`,
			"hello",
			`{"time":"2026-12-01T07:00:00.123Z","type":"platform.runtimeDone","record":{"requestId":"r1","status":"success"}}`,
			`{"time":"2026-12-01T07:00:00.123Z","type":"platform.report","record":{"metrics":{"billedDurationMs":22,"durationMs":1.5,"initDurationMs":20,"maxMemoryUsedMB":40,"memorySizeMB":128},"requestId":"r1","status":"success"}}`}},
		{name: "json at WARN leaves the INFO lines out", format: NewFormat("JSON", "WARN", ""), want: []string{"hello"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := NewSink(0)
			j := NewJournal(&bytes.Buffer{}, sink)
			j.now = func() time.Time { return at }
			j.SetFormat(tt.format)
			j.Begin("r1")
			j.Platform(StartPlatform("r1", "$LATEST"))
			j.Line([]byte("hello"))
			j.Platform(EndPlatform("r1", "success", ""))
			j.Platform(ReportPlatform(report, "success"))
			tail := j.End()
			events, _ := drain(t, sink)
			var got []string
			for _, e := range events {
				got = append(got, e.Message)
				if e.Type == msg.LogTypePlatform && tt.format.JSON && !json.Valid([]byte(e.Message)) {
					t.Errorf("platform line is not JSON: %s", e.Message)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if string(tail) != strings.Join(tt.want, "\n")+"\n" {
				t.Errorf("tail %q does not follow the format", tail)
			}
		})
	}
}

func TestInitLines(t *testing.T) {
	tests := []struct {
		name string
		p    Platform
		want string
	}{
		{name: "init start", p: InitStartPlatform("", "python:3.13", "arn:aws:lambda:us-east-1::runtime:abc", "init"),
			want: "INIT_START Runtime Version: python:3.13\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:abc"},
		{name: "init timeout", p: InitReportPlatform("", 10*time.Second, "init", "timeout", ""),
			want: "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout"},
		{name: "init error", p: InitReportPlatform("", 1234567*time.Microsecond, "invoke", "error", "Runtime.ExitError"),
			want: "INIT_REPORT Init Duration: 1234.57 ms\tPhase: invoke\tStatus: error\tError Type: Runtime.ExitError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := (Format{}).render(tt.p, time.Now()); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// The JSON records of an init say the environment's initializationType: on-demand by default,
// provisioned-concurrency in a provisioned concurrency environment.
func TestInitRecordsInitializationType(t *testing.T) {
	at := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		initType string
		want     []string
	}{
		{name: "on-demand", want: []string{
			`{"time":"2026-12-01T07:00:00.000Z","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init","runtimeVersion":"python:3.13","runtimeVersionArn":"arn"}}`,
			`{"time":"2026-12-01T07:00:00.000Z","type":"platform.initReport","record":{"initializationType":"on-demand","metrics":{"durationMs":10},"phase":"init","status":"error"}}`}},
		{name: "provisioned", initType: "provisioned-concurrency", want: []string{
			`{"time":"2026-12-01T07:00:00.000Z","type":"platform.initStart","record":{"initializationType":"provisioned-concurrency","phase":"init","runtimeVersion":"python:3.13","runtimeVersionArn":"arn"}}`,
			`{"time":"2026-12-01T07:00:00.000Z","type":"platform.initReport","record":{"initializationType":"provisioned-concurrency","metrics":{"durationMs":10},"phase":"init","status":"error"}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := NewSink(0)
			j := NewJournal(&bytes.Buffer{}, sink)
			j.now = func() time.Time { return at }
			j.SetFormat(NewFormat("JSON", "INFO", ""))
			j.Platform(InitStartPlatform(tt.initType, "python:3.13", "arn", "init"))
			j.Platform(InitReportPlatform(tt.initType, 10*time.Millisecond, "init", "error", ""))
			events, _ := drain(t, sink)
			var got []string
			for _, e := range events {
				got = append(got, e.Message)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("lines\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestJSONFailureLines(t *testing.T) {
	at := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		format Format
		want   []string
	}{
		{name: "text", format: NewFormat("Text", "", ""), want: []string{
			"RequestId: r Error: Runtime exited with error: exit status 1\nRuntime.ExitError", "END RequestId: r"}},
		{name: "json", format: NewFormat("JSON", "INFO", ""), want: []string{
			`{"time":"2026-12-01T07:00:00.000Z","type":"platform.runtimeDone","record":{"errorType":"Runtime.ExitError","requestId":"r","status":"failure"}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := NewSink(0)
			j := NewJournal(&bytes.Buffer{}, sink)
			j.now = func() time.Time { return at }
			j.SetFormat(tt.format)
			j.Begin("r")
			j.Platform(ErrorPlatform("RequestId: r Error: Runtime exited with error: exit status 1", "Runtime.ExitError"))
			j.Platform(EndPlatform("r", "failure", "Runtime.ExitError"))
			j.End()
			events, _ := drain(t, sink)
			var got []string
			for _, e := range events {
				got = append(got, e.Message)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("lines %q, want %q", got, tt.want)
			}
		})
	}
}

// TestApplicationLogLevel: with LogFormat JSON, the function's JSON lines below its
// ApplicationLogLevel are left out; a JSON object with no level Lambda knows is INFO, as Lambda
// assigns it; lines that are not JSON objects are kept; with LogFormat Text nothing is filtered.
func TestApplicationLogLevel(t *testing.T) {
	lines := []string{
		`{"level":"TRACE","message":"t"}`,
		`{"level":"DEBUG","message":"d"}`,
		`{"level":"INFO","message":"i"}`,
		`{"level":"warning","message":"w"}`,
		`{"level":"ERROR","message":"e"}`,
		`{"level":"FATAL","message":"f"}`,
		`{"message":"no level"}`,
		`{"level":"NOTICE","message":"unknown level"}`,
		`{"level":7}`,
		`{not json`,
		`plain DEBUG text`,
	}
	tests := []struct {
		name   string
		format Format
		want   []int // indexes of the lines kept
	}{
		{"text ignores the level", NewFormat("Text", "", "ERROR"), []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"json without a level set", NewFormat("JSON", "INFO", ""), []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"json TRACE", NewFormat("JSON", "INFO", "TRACE"), []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"json INFO", NewFormat("JSON", "INFO", "INFO"), []int{2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"json WARN", NewFormat("JSON", "INFO", "WARN"), []int{3, 4, 5, 9, 10}},
		{"json FATAL", NewFormat("JSON", "INFO", "FATAL"), []int{5, 9, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := NewSink(0)
			j := NewJournal(&bytes.Buffer{}, sink)
			j.SetFormat(tt.format)
			j.Begin("r")
			for _, l := range lines {
				j.Line([]byte(l))
			}
			tail := string(j.End())
			var want []string
			for _, i := range tt.want {
				want = append(want, lines[i])
			}
			var got []string
			events, _ := drain(t, sink)
			for _, e := range events {
				got = append(got, e.Message)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("kept\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if tail != strings.Join(want, "\n")+"\n" {
				t.Errorf("tail %q", tail)
			}
		})
	}
}
