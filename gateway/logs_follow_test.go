package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// followWait bounds how long a test waits for an event (a busy shared host).
const followWait = 30 * time.Second

// sseEvent is one Server-Sent Event (or, with comment set, a comment line).
type sseEvent struct {
	id, event, data, comment string
}

// follow is an open logs follow.
type follow struct {
	resp   *http.Response
	events chan sseEvent
	ended  chan struct{}
	cancel context.CancelFunc
}

// openFollow opens GET …/logs?query as account with header, and reads its events in the
// background; it fails the test unless the answer is a 200 event stream.
func openFollow(t *testing.T, env *gatewaytest.Env, account, name string, query url.Values, header http.Header) *follow {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.URL+"/lambdock/v1/functions/"+name+"/logs?"+query.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set(gatewaytest.HeaderTestAccount, account)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	f := &follow{resp: resp, events: make(chan sseEvent, 256), ended: make(chan struct{}), cancel: cancel}
	t.Cleanup(f.close)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != lambdaapi.ContentTypeEventStream {
		t.Fatalf("follow: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	go f.read()
	return f
}

// read parses the stream into f.events until it ends.
func (f *follow) read() {
	defer close(f.ended)
	sc := bufio.NewScanner(f.resp.Body)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		name, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch {
		case line == "":
			if ev != (sseEvent{}) {
				f.events <- ev
			}
			ev = sseEvent{}
		case name == "":
			f.events <- sseEvent{comment: value}
		case name == "id":
			ev.id = value
		case name == "event":
			ev.event = value
		case name == "data":
			ev.data = value
		}
	}
}

// close ends the request.
func (f *follow) close() {
	f.cancel()
	_ = f.resp.Body.Close() // the stream's end, not a result
}

// next returns the next event that is not a comment.
func (f *follow) next(t *testing.T) sseEvent {
	t.Helper()
	timeout := time.After(followWait)
	for {
		select {
		case ev := <-f.events:
			if ev.comment == "" {
				return ev
			}
		case <-f.ended:
			t.Fatal("the follow ended")
		case <-timeout:
			t.Fatal("no event arrived")
		}
	}
}

// line decodes a "log" event.
func (ev sseEvent) line(t *testing.T) lambdaapi.FunctionLogEvent {
	t.Helper()
	var e lambdaapi.FunctionLogEvent
	if ev.event != lambdaapi.SSEEventLog || json.Unmarshal([]byte(ev.data), &e) != nil || ev.id == "" || ev.id != e.EventID {
		t.Fatalf("not a log event: %+v", ev)
	}
	return e
}

// TestFunctionLogsFollow follows a function over HTTP: new lines arrive as "log" events with
// their EventId as id, dropped lines as a "dropped" event, another function's lines never;
// Last-Event-ID resumes after an event; since replays stored lines first; Accept asks for a
// follow too; and the stream ends when the gateway stops following.
func TestFunctionLogsFollow(t *testing.T) {
	env := logsEnv(t)
	publishLogs(t, env, idA, "alpha", 0, logLine(time.Now(), 0, "r0", msg.LogTypeFunction, "stored before"))

	f := openFollow(t, env, idA, "alpha", url.Values{"follow": {"true"}}, nil)
	select {
	case ev := <-f.events:
		if ev.comment == "" {
			t.Fatalf("first event %+v, want the opening comment", ev)
		}
	case <-time.After(followWait):
		t.Fatal("the follow sent nothing")
	}
	// The opening comment is written once the follow is set up, so these are new lines.
	publishLogs(t, env, idB, "gamma", 0, logLine(time.Now(), 0, "g", msg.LogTypeFunction, "gamma's line"))
	publishLogs(t, env, idA, "alpha", 0,
		logLine(time.Now(), 0, "r1", msg.LogTypeFunction, "first"),
		logLine(time.Now(), 1, "r1", msg.LogTypePlatform, "REPORT RequestId: r1"))
	publishLogs(t, env, idA, "alpha", 7, logLine(time.Now(), 2, "r2", msg.LogTypeFunction, "after a gap"))

	first := f.next(t).line(t)
	report := f.next(t).line(t)
	if first.Message != "first" || first.RequestID != "r1" || report.Message != "REPORT RequestId: r1" || report.Type != "platform" {
		t.Errorf("lines %+v, %+v", first, report)
	}
	if ev := f.next(t); ev.event != lambdaapi.SSEEventDropped || ev.data != `{"DroppedLines":7}` {
		t.Errorf("dropped notice %+v", ev)
	}
	if e := f.next(t).line(t); e.Message != "after a gap" {
		t.Errorf("line %+v", e)
	}

	// Resume after the first line; Accept asks for the follow.
	resumed := openFollow(t, env, idA, "alpha", nil, http.Header{
		"Accept": {"text/event-stream"}, lambdaapi.HeaderLastEventID: {first.EventID}})
	if e := resumed.next(t).line(t); e.Message != "REPORT RequestId: r1" {
		t.Errorf("resumed at %+v", e)
	}
	// since replays the stored lines, filtered (a dropped notice is not a line: it comes anyway).
	since := openFollow(t, env, idA, "alpha", url.Values{"follow": {"1"}, "since": {"1h"}, "filter": {"before"}}, nil)
	if e := since.next(t).line(t); e.Message != "stored before" {
		t.Errorf("since: %+v", e)
	}
	if ev := since.next(t); ev.event != lambdaapi.SSEEventDropped {
		t.Errorf("since: %+v, want the dropped notice", ev)
	}
	publishLogs(t, env, idA, "alpha", 0, logLine(time.Now(), 0, "r3", msg.LogTypeFunction, "once more, before the end"))
	if e := since.next(t).line(t); e.Message != "once more, before the end" {
		t.Errorf("since, then live: %+v", e)
	}

	// A client that goes away ends its follow; the others go on until the gateway stops them.
	resumed.close()
	env.Gateway.StopFollows()
	for _, open := range []*follow{f, since} {
		select {
		case <-open.ended:
		case <-time.After(followWait):
			t.Fatal("a follow did not end when the gateway stopped following")
		}
	}
	resp, body := getLogs(t, env, idA, "alpha", url.Values{"follow": {"true"}})
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("a follow after StopFollows: %d %s", resp.StatusCode, body)
	}
}
