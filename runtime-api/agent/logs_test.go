package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/runtime-api/logcapture"
)

// logStream reads the agent's PathLogs stream as the invoker does.
type logStream struct {
	mu      sync.Mutex
	events  []msg.LogEvent
	dropped int64
	changed chan struct{}
	ended   chan struct{} // closed when the stream ends
}

// readLogs opens GET PathLogs on client and collects its chunks until ctx ends.
func readLogs(t testing.TB, client *http.Client, ctx context.Context) *logStream {
	t.Helper()
	s := &logStream{changed: make(chan struct{}), ended: make(chan struct{})}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://agent"+agentproto.PathLogs, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", agentproto.PathLogs, err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("GET %s: %d %s", agentproto.PathLogs, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	go func() {
		defer close(s.ended)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			var c agentproto.LogChunk
			if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
				return
			}
			s.mu.Lock()
			s.events = append(s.events, c.Events...)
			s.dropped += c.Dropped
			close(s.changed)
			s.changed = make(chan struct{})
			s.mu.Unlock()
		}
	}()
	return s
}

// wait returns the events read once ok says they are complete, failing the test after patience.
func (s *logStream) wait(t testing.TB, what string, ok func([]msg.LogEvent) bool) []msg.LogEvent {
	t.Helper()
	deadline := time.After(patience)
	for {
		s.mu.Lock()
		events, changed := append([]msg.LogEvent(nil), s.events...), s.changed
		s.mu.Unlock()
		if ok(events) {
			return events
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("log stream: no %s in %d events:\n%s", what, len(events), messages(events))
		}
	}
}

// waitFor waits for a line containing sub and returns it.
func (s *logStream) waitFor(t testing.TB, sub string) msg.LogEvent {
	t.Helper()
	var found msg.LogEvent
	s.wait(t, sub, func(events []msg.LogEvent) bool {
		for _, e := range events {
			if strings.Contains(e.Message, sub) {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

// of returns the events of one request id.
func of(events []msg.LogEvent, requestID string) []msg.LogEvent {
	var out []msg.LogEvent
	for _, e := range events {
		if e.RequestID == requestID {
			out = append(out, e)
		}
	}
	return out
}

func messages(events []msg.LogEvent) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString(e.RequestID + " " + e.Type + " " + e.Message + "\n")
	}
	return b.String()
}

// TestLogStreamDrainsOnShutdown: the lines written just before the agent stops, still in the
// pipe or held in the sink, reach the invoker, and then the stream ends.
func TestLogStreamDrainsOnShutdown(t *testing.T) {
	h := startAgent(t, agentproto.Config{}, Options{})
	h.roundTrip("before")
	h.logs.waitFor(t, "REPORT RequestId: before")
	w := h.agent.capture.Writer()
	for i := range 100 {
		fmt.Fprintf(w, "last words %d\n", i)
	}
	h.stopAgent()
	select {
	case <-h.logs.ended:
	case <-time.After(patience):
		t.Fatal("the log stream did not end with the agent")
	}
	h.logs.waitFor(t, "last words 99")
}

// TestLogStreamFramesAnInvocation reads an invocation's lines over the channel: START, the
// runtime's own line, END and REPORT, all with its request id, in order; and none of them in
// the container log.
func TestLogStreamFramesAnInvocation(t *testing.T) {
	h := startAgent(t, agentproto.Config{MemoryMB: 512}, Options{})
	h.roundTrip("logged")
	events := h.logs.wait(t, "REPORT", func(ev []msg.LogEvent) bool {
		for _, e := range ev {
			if strings.HasPrefix(e.Message, "REPORT RequestId: logged") {
				return true
			}
		}
		return false
	})
	var got []string
	for _, e := range of(events, "logged") {
		got = append(got, e.Type+" "+strings.SplitN(e.Message, "\t", 2)[0])
	}
	want := []string{"platform START RequestId: logged Version: $LATEST", "platform END RequestId: logged",
		"platform REPORT RequestId: logged"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("framing %q, want %q", got, want)
	}
	if strings.Contains(h.containerLog(), "RequestId: logged") {
		t.Errorf("an invocation's lines went to the container log:\n%s", h.containerLog())
	}
}

// TestLogStreamFunctionOutput checks a real process's output: the lines it writes during its
// invocation carry the request id, its init lines none, and a chatty invocation is cut at
// 256 KB with one marker while END and REPORT remain.
func TestLogStreamFunctionOutput(t *testing.T) {
	h := startAgent(t, agentproto.Config{}, Options{})
	// The fake runtime is a sleep: the test writes to its output pipe as the function would.
	w := h.agent.capture.Writer()
	w.WriteString("init output\n")
	h.logs.waitFor(t, "init output")

	done := h.invoke(invokeRequest{id: "chatty", payload: []byte(`{}`)})
	h.next()
	line := strings.Repeat("c", 1023) + "\n"
	for range 300 { // 300 KiB
		w.WriteString(line)
	}
	if r := h.call(http.MethodPost, "/2018-06-01/runtime/invocation/chatty/response", nil, []byte(`"ok"`)); r.status != http.StatusAccepted {
		t.Fatalf("/response: %d %s", r.status, r.body)
	}
	if r := h.await(done); r.status != 200 {
		t.Fatalf("invoke: %d %s", r.status, r.body)
	}
	events := h.logs.wait(t, "REPORT of chatty", func(ev []msg.LogEvent) bool {
		for _, e := range ev {
			if strings.HasPrefix(e.Message, "REPORT RequestId: chatty") {
				return true
			}
		}
		return false
	})
	if e := events[0]; e.Message != "init output" || e.RequestID != "" || e.Type != msg.LogTypeFunction {
		t.Errorf("init line: %+v", e)
	}
	chatty := of(events, "chatty")
	fn, markers := 0, 0
	for _, e := range chatty {
		switch {
		case e.Type == msg.LogTypeFunction:
			fn++
		case e.Message == logcapture.TruncatedMessage:
			markers++
		}
	}
	if fn != logcapture.MaxOutput/1024 || markers != 1 {
		t.Errorf("%d function lines and %d markers; want %d and 1", fn, markers, logcapture.MaxOutput/1024)
	}
	if n := len(chatty); !strings.HasPrefix(chatty[n-2].Message, "END RequestId: chatty") {
		t.Errorf("END is not before REPORT: %q", chatty[n-2].Message)
	}
	if strings.Contains(h.containerLog(), "ccccc") {
		t.Error("the invocation's output went to the container log")
	}
}

// TestLogStreamTimeoutAndJSON checks the timeout line of an invocation that ran out of time,
// and the JSON system log records of a function configured with LogFormat JSON.
func TestLogStreamTimeoutAndJSON(t *testing.T) {
	tests := []struct {
		name   string
		cfg    agentproto.Config
		want   []string // prefixes of the invocation's platform lines, in order
		inTail string
	}{
		{name: "text", cfg: agentproto.Config{}, want: []string{"START RequestId: slow Version: $LATEST",
			"",                                                       // the timeout line starts with its time
			"END RequestId: slow", "REPORT RequestId: slow"}, inTail: " slow Task timed out after 0.20 seconds"},
		{name: "json", cfg: agentproto.Config{LogFormat: "JSON", SystemLogLevel: "INFO"}, want: []string{
			`{"time":"`, "", `{"time":"`, `{"time":"`}, inTail: `"type":"platform.report","record":{"metrics":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startAgent(t, tt.cfg, Options{})
			done := h.invoke(invokeRequest{id: "slow", timeoutMs: 200, payload: []byte(`{}`)})
			h.next()
			r := h.await(done)
			if r.header.Get(agentproto.HeaderResultErrorType) != "Sandbox.Timedout" {
				t.Fatalf("error type %q, want Sandbox.Timedout", r.header.Get(agentproto.HeaderResultErrorType))
			}
			events := h.logs.wait(t, "the timed-out invocation's four platform lines", func(ev []msg.LogEvent) bool {
				return len(of(ev, "slow")) >= 4
			})
			slow := of(events, "slow")
			for i, p := range tt.want {
				if !strings.HasPrefix(slow[i].Message, p) || slow[i].Type != msg.LogTypePlatform {
					t.Errorf("line %d: %s %q, want platform %q…", i, slow[i].Type, slow[i].Message, p)
				}
			}
			if !strings.Contains(slow[1].Message, " slow Task timed out after 0.20 seconds") {
				t.Errorf("timeout line %q", slow[1].Message)
			}
			if tt.cfg.LogFormat == "JSON" {
				for _, i := range []int{0, 2, 3} {
					if !json.Valid([]byte(slow[i].Message)) {
						t.Errorf("not JSON: %s", slow[i].Message)
					}
				}
				if !strings.Contains(slow[3].Message, `"status":"timeout"`) {
					t.Errorf("platform.report without status timeout: %s", slow[3].Message)
				}
			}
			if tail := logTail(t, r); !strings.Contains(tail, tt.inTail) {
				t.Errorf("log tail %q lacks %q", tail, tt.inTail)
			}
		})
	}
}

// TestLogStreamInitLines checks INIT_START and, for a runtime that exits during its init,
// INIT_REPORT: lines outside any invocation, which also go to the container log.
func TestLogStreamInitLines(t *testing.T) {
	h := startAgent(t, agentproto.Config{Command: []string{"/usr/bin/sh", "-c", "echo init-fail; exit 3"},
		RuntimeVersion: "provided:al2023", RuntimeVersionARN: "arn:aws:lambda:us-east-1::runtime:abc"}, Options{})
	report := h.logs.waitFor(t, "INIT_REPORT")
	events := h.logs.wait(t, "the init lines", func(ev []msg.LogEvent) bool { return len(ev) >= 3 })
	want := []string{"INIT_START Runtime Version: provided:al2023\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:abc",
		"init-fail"}
	for i, w := range want {
		if events[i].Message != w || events[i].RequestID != "" {
			t.Errorf("line %d: %q (request %q), want %q", i, events[i].Message, events[i].RequestID, w)
		}
	}
	if !strings.HasPrefix(report.Message, "INIT_REPORT Init Duration: ") ||
		!strings.HasSuffix(report.Message, "\tPhase: init\tStatus: failure\tError Type: Runtime.ExitError") {
		t.Errorf("INIT_REPORT line %q", report.Message)
	}
	if log := h.containerLog(); !strings.Contains(log, "INIT_START") || !strings.Contains(log, "init-fail\n") ||
		!strings.Contains(log, "INIT_REPORT") {
		t.Errorf("the init lines are not in the container log:\n%s", log)
	}
}
