package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/cmd/lambdockd/config"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/lambdockdtest"
)

// Bounds of the logs tests: lines reach the store asynchronously (agent → invoker relay →
// JetStream), and retention removes a line after --logs-retention (at least a minute).
const (
	logsTimeout      = 2 * time.Minute
	logsRetention    = time.Minute
	retentionTimeout = 5 * time.Minute
)

var (
	// logStreamRE is an environment's log stream name (AWS_LAMBDA_LOG_STREAM_NAME).
	logStreamRE = regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\[\$LATEST\]\S+$`)
	// timedOutRE is Lambda's timeout line, "<ISO-8601 time> <request id> Task timed out after 1.00 seconds".
	timedOutRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (\S+) Task timed out after 1\.00 seconds$`)
)

// invokeForLogs invokes name synchronously with event and returns its request id; the answer
// must be a 200 (a function error, such as a timeout, too).
func (l *lambdockd) invokeForLogs(t *testing.T, name, event string) string {
	t.Helper()
	r := l.invoke(t, name, event)
	id := r.header.Get(lambdaapi.HeaderRequestID)
	if r.status != http.StatusOK || id == "" {
		t.Fatalf("invoke %s %s: %v", name, event, r)
	}
	return id
}

// requestLogs polls GET …/logs?request_id= until the invocation's REPORT line is stored, and
// returns its lines.
func (l *lambdockd) requestLogs(t *testing.T, name, requestID string) []lambdaapi.FunctionLogEvent {
	t.Helper()
	var events []lambdaapi.FunctionLogEvent
	eventuallyFor(t, logsTimeout, func() string {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		out, err := l.client.GetFunctionLogs(ctx, name, lambdaclient.GetFunctionLogsInput{RequestID: requestID})
		if err != nil {
			return err.Error()
		}
		events = out.Events
		if n := len(events); n == 0 || !strings.HasPrefix(events[n-1].Message, "REPORT RequestId: "+requestID+"\t") {
			return fmt.Sprintf("%d lines of %s stored, the last not its REPORT: %q", n, requestID, messagesOf(events))
		}
		return ""
	})
	return events
}

// messagesOf is the messages of events.
func messagesOf(events []lambdaapi.FunctionLogEvent) []string {
	out := make([]string, 0, len(events))
	for _, e := range events {
		out = append(out, e.Message)
	}
	return out
}

// checkPrinted checks that the function lines of events are exactly the n lines testfn's print
// op wrote ("print <i> xxx…"), in order.
func checkPrinted(t *testing.T, events []lambdaapi.FunctionLogEvent, n int) {
	t.Helper()
	var printed []string
	for _, e := range events {
		if e.Type == "function" {
			printed = append(printed, e.Message)
		}
	}
	if len(printed) != n {
		t.Fatalf("%d function lines, want the %d printed: %q", len(printed), n, messagesOf(events))
	}
	for i, m := range printed {
		if !strings.HasPrefix(m, fmt.Sprintf("print %d x", i)) {
			t.Errorf("function line %d = %q, want print %d xxx…", i, m, i)
		}
	}
}

// checkFrame checks what every invocation's lines share: each line is of the invocation, of
// $LATEST and of one log stream; START first (after the INIT_ lines of an init the invocation
// waited for, if any), then END and REPORT last, in Lambda's format (REPORT's fields separated
// by tabs, with a trailing tab unless a Status ends it).
func checkFrame(t *testing.T, requestID string, events []lambdaapi.FunctionLogEvent) {
	t.Helper()
	for len(events) > 0 && strings.HasPrefix(events[0].Message, "INIT_") {
		events = events[1:]
	}
	n := len(events)
	if n < 3 {
		t.Fatalf("lines %q: want START, …, END, REPORT", messagesOf(events))
	}
	for _, e := range events {
		if e.RequestID != requestID || e.Version != "$LATEST" || e.LogStreamName != events[0].LogStreamName ||
			e.EventID == "" || e.Timestamp == 0 {
			t.Errorf("line %+v: want request id %s, version $LATEST, one log stream, an EventId and a time", e, requestID)
		}
	}
	if !logStreamRE.MatchString(events[0].LogStreamName) {
		t.Errorf("log stream %q, want YYYY/MM/DD/[$LATEST]<id>", events[0].LogStreamName)
	}
	start, end, report := events[0], events[n-2], events[n-1]
	if start.Message != "START RequestId: "+requestID+" Version: $LATEST" || start.Type != "platform" {
		t.Errorf("first line %+v, want START RequestId: %s Version: $LATEST (platform)", start, requestID)
	}
	if end.Message != "END RequestId: "+requestID || end.Type != "platform" {
		t.Errorf("line before REPORT %+v, want END RequestId: %s (platform)", end, requestID)
	}
	m := reportRE.FindStringSubmatch(report.Message)
	if m == nil || m[1] != requestID || !strings.HasPrefix(report.Message, m[0]) || report.Type != "platform" {
		t.Errorf("last line %q (%s), want REPORT RequestId: %s\\tDuration: … ms\\t…Max Memory Used: … MB\\t", report.Message,
			report.Type, requestID)
	}
}

// TestLogs is must-show #1: a function's printed lines, framed by START, END and REPORT, are
// read back by request id through the logs API; a timed-out invocation's lines end with the
// timeout line and a REPORT with Status: timeout; and `lambdock logs -f`, started before an
// invocation, shows its lines.
func TestLogs(t *testing.T) {
	need(t)
	cfg := newConfig(dataDir(t), "logs-"+randomID())
	l := start(t, cfg)
	fn, slow := "e2e-logs-"+randomID(), "e2e-logs-timeout-"+randomID()
	l.deploy(t, fn, 128, 10)
	l.deploy(t, slow, 128, 1)

	t.Run("framed lines by request id", func(t *testing.T) {
		id := l.invokeForLogs(t, fn, `{"op":"print","lines":3,"size":40}`)
		events := l.requestLogs(t, fn, id)
		checkFrame(t, id, events)
		checkPrinted(t, events, 3)
		if last := events[len(events)-1].Message; !strings.HasSuffix(last, " ms\t") && !strings.HasSuffix(last, " MB\t") {
			t.Errorf("REPORT %q: want the trailing tab", last)
		}
		// The same lines without request_id (with the init's lines around them), and with a filter.
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		all, err := l.client.GetFunctionLogs(ctx, fn, lambdaclient.GetFunctionLogsInput{Since: time.Now().Add(-10 * time.Minute)})
		if err != nil || !strings.Contains(strings.Join(messagesOf(all.Events), "\n"), strings.Join(messagesOf(events), "\n")) {
			t.Errorf("every line (%v): %q\nwant it to hold %q", err, messagesOf(all.Events), messagesOf(events))
		}
		one, err := l.client.GetFunctionLogs(ctx, fn, lambdaclient.GetFunctionLogsInput{RequestID: id, Filter: "print 1 "})
		if err != nil || len(one.Events) != 1 || !strings.HasPrefix(one.Events[0].Message, "print 1 x") {
			t.Errorf("filtered (%v): %+v", err, one)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		id := l.invokeForLogs(t, slow, `{"op":"print","lines":2,"size":40,"ms":5000}`)
		events := l.requestLogs(t, slow, id)
		checkFrame(t, id, events)
		checkPrinted(t, events, 2)
		timedOut := -1
		for i, e := range events {
			if m := timedOutRE.FindStringSubmatch(e.Message); m != nil && m[1] == id && e.Type == "platform" {
				timedOut = i
			}
		}
		if timedOut < 0 || timedOut > len(events)-3 {
			t.Errorf("lines %q: want the line <time> %s Task timed out after 1.00 seconds before END", messagesOf(events), id)
		}
		if report := events[len(events)-1].Message; !strings.Contains(report, "\tStatus: timeout") {
			t.Errorf("REPORT %q: want Status: timeout", report)
		}
	})

	t.Run("lambdock logs -f", func(t *testing.T) {
		creds, err := lambdockdtest.AdminCredentials(cfg.DataDir)
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("AWS_PROFILE", "")
		t.Setenv("AWS_ACCESS_KEY_ID", creds.AccessKeyID)
		t.Setenv("AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey)
		before := l.invokeForLogs(t, fn, `{"op":"print","lines":1,"size":40}`)
		l.requestLogs(t, fn, before)

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var stdout, stderr lockedBuffer
		exited := make(chan int, 1)
		go func() {
			exited <- cli.Main(ctx, []string{"--endpoint", l.url, "logs", fn, "-f", "--since", "10m"}, strings.NewReader(""),
				&stdout, &stderr)
		}()
		shows := func(text string) func() string {
			return func() string {
				if !strings.Contains(stdout.String(), text) {
					return fmt.Sprintf("lambdock logs -f has not shown %q yet; stdout %q, stderr %q", text, stdout.String(),
						stderr.String())
				}
				return ""
			}
		}
		eventuallyFor(t, logsTimeout, shows("REPORT RequestId: "+before)) // the page is printed: it follows now
		after := l.invokeForLogs(t, fn, `{"op":"print","lines":2,"size":40}`)
		eventuallyFor(t, logsTimeout, shows("REPORT RequestId: "+after))
		out := stdout.String()
		started := strings.Index(out, "START RequestId: "+after)
		if started < 0 || !strings.Contains(out[started:], " print 1 x") || strings.Contains(out, "\x1b[") {
			t.Errorf("stdout %q: want %s's START, then its printed lines, without colours", out, after)
		}
		cancel()
		select {
		case code := <-exited:
			if code != cli.ExitOK {
				t.Errorf("lambdock logs -f: exit %d after Ctrl-C; stderr %q", code, stderr.String())
			}
		case <-time.After(callTimeout):
			t.Fatal("lambdock logs -f did not stop with its context")
		}
	})

	t.Run("a follow ends when lambdockd stops", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), logsTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.url+"/lambdock/v1/functions/"+fn+"/logs?follow=true", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := l.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		first := make([]byte, len(": following"))
		if _, err := io.ReadFull(resp.Body, first); err != nil || resp.StatusCode != http.StatusOK || string(first) != ": following" {
			t.Fatalf("follow: %d %q %v", resp.StatusCode, first, err)
		}
		ended := make(chan error, 1)
		go func() {
			_, err := io.Copy(io.Discard, resp.Body)
			ended <- err
		}()
		l.stop(t) // fails the test if Shutdown had to wait for the follow until its deadline
		select {
		case err := <-ended:
			if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Logf("the follow ended with %v", err)
			}
		case <-time.After(callTimeout):
			t.Fatal("the follow went on after lambdockd stopped")
		}
	})
}

// TestLogsRetention starts lambdockd with --logs-retention 1m: an invocation's lines are read
// back, then gone once older than that, while a later invocation's lines are still there.
func TestLogsRetention(t *testing.T) {
	need(t)
	dir := dataDir(t)
	cfg, err := config.Load([]string{"--data-dir", dir, "--addr", "127.0.0.1:0", "--nats-port", "-1", "--agent", shared.agent,
		"--invoker-id", "logs-retention-" + randomID(), "--log-level", "warn", "--logs-retention", logsRetention.String()},
		func(string) string { return "" })
	if err != nil {
		t.Fatalf("lambdockd flags: %v", err)
	}
	l := start(t, cfg)
	fn := "e2e-logs-retention-" + randomID()
	l.deploy(t, fn, 128, 10)

	old := l.invokeForLogs(t, fn, `{"op":"print","lines":1,"size":40}`)
	l.requestLogs(t, fn, old)
	stored := time.Now()
	time.Sleep(logsRetention / 2) // the next invocation's lines are half the retention younger
	young := l.invokeForLogs(t, fn, `{"op":"print","lines":1,"size":40}`)
	l.requestLogs(t, fn, young)

	count := func(requestID string) (int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		out, err := l.client.GetFunctionLogs(ctx, fn, lambdaclient.GetFunctionLogsInput{RequestID: requestID})
		if err != nil {
			return 0, err
		}
		return len(out.Events), nil
	}
	eventuallyFor(t, retentionTimeout, func() string {
		n, err := count(old)
		if err != nil {
			return err.Error()
		}
		if n > 0 {
			return fmt.Sprintf("%d lines of %s still stored %s after they were read", n, old, time.Since(stored).Round(time.Second))
		}
		return ""
	})
	if time.Since(stored) < logsRetention-10*time.Second { // stored: after the lines were read back

		t.Errorf("%s's lines were gone %s after they were stored, before the retention of %s", old,
			time.Since(stored).Round(time.Second), logsRetention)
	}
	if n, err := count(young); err != nil || n == 0 {
		t.Errorf("%s's lines, younger than the retention: %d (%v); want them still stored", young, n, err)
	}
}

// lockedBuffer is a bytes.Buffer the CLI writes while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
