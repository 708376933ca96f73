package invoker_test

// Integration tests of the log pipeline: real Docker, the real agent and test function, a real
// embedded NATS server with the LAMBDOCK_LOGS stream, read back directly.

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/logstore"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/invoker"
)

// logWait bounds every wait for lines to reach the stream (a busy shared host).
const logWait = 60 * time.Second

// logsHarness is an invoker whose log relay publishes to a real LAMBDOCK_LOGS stream.
func logsHarness(t *testing.T, configure ...func(*invoker.Config)) (*harness, jetstream.JetStream) {
	t.Helper()
	_, js := testenv.JetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := logstore.EnsureStream(ctx, js, logstore.Retention{}); err != nil {
		t.Fatal(err)
	}
	return newHarness(t, func(c *invoker.Config) {
		c.LogPublisher = js
		for _, f := range configure {
			f(c)
		}
	}), js
}

// storedLogs reads a function's batches from the stream until done says the lines are all
// there, failing the test after logWait.
func storedLogs(t testing.TB, js jetstream.JetStream, fn function.Spec, done func([]msg.LogBatch) bool) []msg.LogBatch {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), logWait)
	defer cancel()
	d := fn.WithDefaults()
	cons, err := js.OrderedConsumer(ctx, msg.StreamLogs, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{msg.LogsSubject(d.AccountID, d.Name)}})
	if err != nil {
		t.Fatal(err)
	}
	var batches []msg.LogBatch
	for !done(batches) {
		m, err := cons.Next(jetstream.FetchMaxWait(time.Second))
		if err != nil { // no message within the wait
			if ctx.Err() != nil {
				t.Fatalf("stored logs of %s incomplete after %v (%v): %s", d.Name, logWait, err, dump(batches))
			}
			continue
		}
		if len(m.Data()) > logstore.MaxBatchBytes {
			t.Errorf("a batch of %d bytes, over %d", len(m.Data()), logstore.MaxBatchBytes)
		}
		var b msg.LogBatch
		if err := json.Unmarshal(m.Data(), &b); err != nil {
			t.Fatalf("batch: %v", err)
		}
		batches = append(batches, b)
	}
	return batches
}

// eventsOf flattens the batches' lines of one request id ("" for every line).
func eventsOf(batches []msg.LogBatch, requestID string) []msg.LogEvent {
	var out []msg.LogEvent
	for _, b := range batches {
		for _, e := range b.Events {
			if requestID == "" || e.RequestID == requestID {
				out = append(out, e)
			}
		}
	}
	return out
}

// hasLine returns a done func for storedLogs: a line of requestID starting with prefix.
func hasLine(requestID, prefix string) func([]msg.LogBatch) bool {
	return func(b []msg.LogBatch) bool {
		for _, e := range eventsOf(b, requestID) {
			if strings.HasPrefix(e.Message, prefix) {
				return true
			}
		}
		return false
	}
}

func dump(batches []msg.LogBatch) string {
	var s strings.Builder
	for _, e := range eventsOf(batches, "") {
		m := e.Message
		if len(m) > 120 {
			m = m[:120] + "…"
		}
		s.WriteString("\n" + e.RequestID + " " + e.Type + " " + m)
	}
	return s.String()
}

// shape is an event as the tests compare it: type and message, the message's variable tail cut.
func shape(events []msg.LogEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		m := e.Message
		switch {
		case strings.HasPrefix(m, "REPORT"):
			m = "REPORT"
		case strings.HasPrefix(m, "print "):
			m = strings.Join(strings.Fields(m)[:2], " ")
		case strings.Contains(m, "Task timed out after"):
			m = "<time> <id> Task timed out after " + strings.SplitN(m, "after ", 2)[1]
		}
		out[i] = e.Type + ": " + m
	}
	return out
}

func TestLogsReachTheStream(t *testing.T) {
	t.Parallel()
	h, js := logsHarness(t)
	tests := []struct {
		name      string
		fn        function.Spec
		event     map[string]any
		wantError string
		want      func(id string) []string
	}{
		{name: "lines", fn: spec("logs-lines", 128, 10), event: map[string]any{"op": "print", "lines": 3, "size": 40},
			want: func(id string) []string {
				return []string{"platform: START RequestId: " + id + " Version: $LATEST", "function: print 0", "function: print 1",
					"function: print 2", "platform: END RequestId: " + id, "platform: REPORT"}
			}},
		{name: "timeout", fn: spec("logs-timeout", 128, 1), event: map[string]any{"op": "print", "lines": 2, "size": 40, "ms": 5000},
			wantError: "Sandbox.Timedout",
			want: func(id string) []string {
				return []string{"platform: START RequestId: " + id + " Version: $LATEST", "function: print 0", "function: print 1",
					"platform: <time> <id> Task timed out after 1.00 seconds", "platform: END RequestId: " + id, "platform: REPORT"}
			}},
		{name: "crash", fn: spec("logs-crash", 128, 10), event: map[string]any{"op": "print", "lines": 2, "size": 40, "exit": true},
			wantError: "Runtime.ExitError",
			want: func(id string) []string {
				return []string{"platform: START RequestId: " + id + " Version: $LATEST", "function: print 0", "function: print 1",
					"platform: RequestId: " + id + " Error: Runtime exited with error: exit status 1\nRuntime.ExitError",
					"platform: END RequestId: " + id, "platform: REPORT"}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := h.mustInvoke(t, tt.fn, tt.event)
			if res.FunctionError != tt.wantError {
				t.Fatalf("function error %q (%s), want %q", res.FunctionError, res.Payload, tt.wantError)
			}
			batches := storedLogs(t, js, tt.fn, hasLine(res.RequestID, "REPORT RequestId: "+res.RequestID))
			got := shape(eventsOf(batches, res.RequestID))
			if want := tt.want(res.RequestID); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("lines of %s:\n%s\nwant:\n%s", res.RequestID, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if tt.wantError == "Sandbox.Timedout" && !strings.HasSuffix(eventsOf(batches, res.RequestID)[5].Message, "Status: timeout") {
				t.Errorf("REPORT of a timeout lacks Status: timeout")
			}
			all := eventsOf(batches, "")
			if !initStart.MatchString(all[0].Message) || all[0].RequestID != "" {
				t.Errorf("first line %q (request %q), want INIT_START outside any invocation", all[0].Message, all[0].RequestID)
			}
			b := batches[0]
			d := tt.fn.WithDefaults()
			if b.Account != d.AccountID || b.Function != d.Name || b.Version != "$LATEST" || b.Invoker != h.ID() ||
				!regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$`).MatchString(b.Stream) {
				t.Errorf("batch identity %+v", msg.LogBatch{Account: b.Account, Function: b.Function, Version: b.Version, Stream: b.Stream, Invoker: b.Invoker})
			}
			if tt.name == "lines" { // the stream name is the one the function sees
				env := decode[map[string]string](t, h.mustSucceed(t, tt.fn, map[string]string{"op": "env"}))
				if env["AWS_LAMBDA_LOG_STREAM_NAME"] != b.Stream {
					t.Errorf("AWS_LAMBDA_LOG_STREAM_NAME %q, batch stream %q", env["AWS_LAMBDA_LOG_STREAM_NAME"], b.Stream)
				}
			}
		})
	}
}

func TestLogsJSONFormat(t *testing.T) {
	t.Parallel()
	h, js := logsHarness(t)
	fn := spec("logs-json", 128, 10)
	fn.Logging = function.Logging{LogFormat: "JSON", ApplicationLogLevel: "DEBUG", SystemLogLevel: "INFO"}
	res := h.mustSucceed(t, fn, map[string]string{"op": "env"})
	env := decode[map[string]string](t, res)
	if env["AWS_LAMBDA_LOG_FORMAT"] != "JSON" || env["AWS_LAMBDA_LOG_LEVEL"] != "DEBUG" {
		t.Errorf("AWS_LAMBDA_LOG_FORMAT %q, AWS_LAMBDA_LOG_LEVEL %q", env["AWS_LAMBDA_LOG_FORMAT"], env["AWS_LAMBDA_LOG_LEVEL"])
	}
	storedLogs(t, js, fn, hasLine(res.RequestID, `{"time":"`))
	batches := storedLogs(t, js, fn, func(b []msg.LogBatch) bool { return len(eventsOf(b, res.RequestID)) >= 3 })
	var types []string
	for _, e := range eventsOf(batches, res.RequestID) {
		var rec struct {
			Type   string         `json:"type"`
			Record map[string]any `json:"record"`
		}
		if err := json.Unmarshal([]byte(e.Message), &rec); err != nil || e.Type != msg.LogTypePlatform {
			t.Errorf("not a JSON platform record: %s %q", e.Type, e.Message)
			continue
		}
		if rec.Record["requestId"] != res.RequestID {
			t.Errorf("%s record without the request id: %v", rec.Type, rec.Record)
		}
		types = append(types, rec.Type)
	}
	if got := strings.Join(types, ","); got != "platform.start,platform.runtimeDone,platform.report" {
		t.Errorf("record types %s", got)
	}
	if !strings.Contains(string(res.LogTail), `"type":"platform.report"`) {
		t.Errorf("log tail is not in the JSON format: %q", res.LogTail)
	}
	for _, e := range eventsOf(batches, "") {
		if e.RequestID == "" && strings.HasPrefix(e.Message, "INIT_START") {
			t.Errorf("INIT_START in text with LogFormat JSON: %q", e.Message)
		}
	}
}

// TestLogsOfAPrewarmedEnvironment checks that a stem cell's relay starts once it is
// specialised: the lines carry the function it was specialised for and the log stream name its
// runtime sees.
func TestLogsOfAPrewarmedEnvironment(t *testing.T) {
	t.Parallel()
	h, js := logsHarness(t, func(c *invoker.Config) { c.Prewarm = 1 })
	h.waitStems(t, 1)
	fn := spec("logs-stem", 128, 10)
	res := h.mustSucceed(t, fn, map[string]string{"op": "env"})
	if !res.Prewarmed {
		t.Fatalf("the invocation did not run in the stem cell")
	}
	env := decode[map[string]string](t, res)
	batches := storedLogs(t, js, fn, hasLine(res.RequestID, "REPORT RequestId: "+res.RequestID))
	if got := shape(eventsOf(batches, res.RequestID)); len(got) != 3 || got[0] != "platform: START RequestId: "+res.RequestID+" Version: $LATEST" {
		t.Errorf("lines of the stem's first invocation: %q", got)
	}
	if b := batches[0]; b.Function != fn.Name || b.Stream != env["AWS_LAMBDA_LOG_STREAM_NAME"] {
		t.Errorf("batch of %q on stream %q; want %q on %q", b.Function, b.Stream, fn.Name, env["AWS_LAMBDA_LOG_STREAM_NAME"])
	}
	if all := eventsOf(batches, ""); !strings.HasPrefix(all[0].Message, "INIT_START Runtime Version: provided:al2023") {
		t.Errorf("first line %q, want INIT_START", all[0].Message)
	}
}

// initStart is the INIT_START line of a provided.al2023 zip function, as Lambda writes it.
var initStart = regexp.MustCompile(`^INIT_START Runtime Version: provided:al2023\.v[1-9][0-9]?\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}$`)

// TestLogsWhileJetStreamIsDown: with the NATS server stopped, invocations run as usual; once it
// is back, every line of theirs is stored or counted as dropped in a later batch.
func TestLogsWhileJetStreamIsDown(t *testing.T) {
	t.Parallel()
	ns := testenv.NewStoppableNATS(t)
	js, err := jetstream.New(testenv.Connect(t, ns.ClientURL()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := logstore.EnsureStream(ctx, js, logstore.Retention{}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *invoker.Config) { c.LogPublisher = js })
	fn := spec("logs-outage", 128, 10)
	warm := h.mustSucceed(t, fn, map[string]any{"op": "print", "lines": 1, "size": 20})
	storedLogs(t, js, fn, hasLine(warm.RequestID, "REPORT RequestId: "+warm.RequestID))

	ns.Stop()
	const calls, perCall = 20, 100
	var ids []string
	for range calls {
		res := h.mustSucceed(t, fn, map[string]any{"op": "print", "lines": perCall, "size": 1000})
		ids = append(ids, res.RequestID)
	}
	ns.Start()
	// The relay publishes nothing until the connection is back (the lines meanwhile are
	// dropped and counted): wait for it, so that the next invocation's lines are stored.
	reconnected := time.Now().Add(30 * time.Second)
	for js.Conn().Status() != nats.CONNECTED {
		if time.Now().After(reconnected) {
			t.Fatal("no reconnection to the restarted NATS server")
		}
		time.Sleep(20 * time.Millisecond)
	}

	after := h.mustSucceed(t, fn, map[string]any{"op": "print", "lines": 1, "size": 20})
	batches := storedLogs(t, js, fn, hasLine(after.RequestID, "REPORT RequestId: "+after.RequestID))
	stored, dropped := 0, int64(0)
	for _, id := range ids {
		stored += len(eventsOf(batches, id))
	}
	for _, b := range batches {
		dropped += b.Dropped
	}
	want := calls * (perCall + 3) // START, the lines, END, REPORT
	if int64(stored)+dropped < int64(want) {
		t.Errorf("of the %d lines written during the outage, %d were stored and %d reported dropped", want, stored, dropped)
	}
	t.Logf("during the outage: %d lines stored, %d reported dropped; relay %+v", stored, dropped, h.LogStats())
}
