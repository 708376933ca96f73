package cli_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/logstore"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// logsWait bounds how long a test waits for a line to show (a busy shared host).
const logsWait = 30 * time.Second

// logsEnv is a gateway with the logs stream and the function "talker" of the admin account.
func logsEnv(t *testing.T) *gatewaytest.Env {
	t.Helper()
	env := gatewaytest.New(t)
	if _, err := env.Client.CreateFunction(context.Background(), &lambdaapi.CreateFunctionInput{
		FunctionName: "talker", Runtime: "provided.al2023", Handler: "bootstrap", Role: "arn:aws:iam::000000000000:role/r",
		Code: lambdaapi.FunctionCode{ZipFile: gatewaytest.Zip(t, map[string]string{"bootstrap": "#!/bin/sh\n"})},
	}); err != nil {
		t.Fatal(err)
	}
	if err := logstore.EnsureStream(context.Background(), env.JetStream, logstore.Retention{}); err != nil {
		t.Fatal(err)
	}
	return env
}

// storeLines publishes a batch of talker's lines (request id, type, message triples) as the relay does.
func storeLines(t *testing.T, env *gatewaytest.Env, at time.Time, dropped int64, lines ...[3]string) {
	t.Helper()
	b := msg.LogBatch{Account: tenant.AdminAccountID, Function: "talker", Version: "$LATEST", Stream: "2026/12/01/[$LATEST]e1",
		Dropped: dropped}
	for i, l := range lines {
		b.Events = append(b.Events, msg.LogEvent{Time: at.Add(time.Duration(i) * time.Millisecond).UnixNano(), RequestID: l[0],
			Type: l[1], Message: l[2]})
	}
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.JetStream.Publish(context.Background(), msg.LogsSubject(b.Account, b.Function), data); err != nil {
		t.Fatal(err)
	}
}

// report is a REPORT line in Lambda's format.
const report = "REPORT RequestId: r1\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 9 MB\t"

// TestLogsCommand prints a function's lines as text and JSON, selects them by request id, text
// and time, pages with --limit and --next-token, tells of dropped lines, and refuses bad flags and
// unknown functions.
func TestLogsCommand(t *testing.T) {
	env := logsEnv(t)
	// Lines are stored right after their time (a query bounded by --until reads the batches stored
	// up to a minute after it: logstore.StoreLag).
	at := time.Now().Add(-2 * time.Second).UTC().Truncate(time.Second)
	stamp := at.Format("2006-01-02T15:04:05")
	storeLines(t, env, at, 0,
		[3]string{"r1", msg.LogTypePlatform, "START RequestId: r1 Version: $LATEST"},
		[3]string{"r1", msg.LogTypeFunction, "hello world"},
		[3]string{"r1", msg.LogTypePlatform, "END RequestId: r1"},
		[3]string{"r1", msg.LogTypePlatform, report})
	storeLines(t, env, at.Add(time.Second), 3, [3]string{"r2", msg.LogTypeFunction, "second invocation"})
	since := at.Add(-time.Minute).Format(time.RFC3339)

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // lines, in order
		stderr string
	}{
		{name: "everything", args: []string{"logs", "talker", "--since", since}, stdout: []string{
			stamp + ".000Z START RequestId: r1 Version: $LATEST", stamp + ".001Z hello world", stamp + ".002Z END RequestId: r1",
			stamp + ".003Z " + report, at.Add(time.Second).Format("2006-01-02T15:04:05") + ".000Z second invocation"},
			stderr: "3 log lines were dropped"},
		{name: "request id", args: []string{"logs", "talker", "--since", since, "--request-id", "r2"},
			stdout: []string{at.Add(time.Second).Format("2006-01-02T15:04:05") + ".000Z second invocation"}},
		{name: "filter", args: []string{"logs", "talker", "--since", since, "--filter", "hello"},
			stdout: []string{stamp + ".001Z hello world"}},
		{name: "until", args: []string{"logs", "talker", "--since", since, "--until", at.Add(time.Millisecond).Format(time.RFC3339Nano)},
			stdout: []string{stamp + ".000Z START RequestId: r1 Version: $LATEST", stamp + ".001Z hello world"}},
		{name: "limit", args: []string{"logs", "talker", "--since", since, "--limit", "1"},
			stdout: []string{stamp + ".000Z START RequestId: r1 Version: $LATEST"}, stderr: "More lines: --next-token "},
		{name: "bad since", args: []string{"logs", "talker", "--since", "soon"}, code: cli.ExitFailure,
			stderr: `--since "soon": want an RFC 3339 time or a duration`},
		{name: "until with follow", args: []string{"logs", "talker", "-f", "--until", "1m"}, code: cli.ExitFailure,
			stderr: "--until cannot be used with -f"},
		{name: "bad limit", args: []string{"logs", "talker", "--limit", "20000"}, code: cli.ExitFailure,
			stderr: "Member must have value less than or equal to 10000"},
		{name: "unknown function", args: []string{"logs", "nope"}, code: cli.ExitFailure, stderr: "ResourceNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, env, "", tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.stderr)
			}
			if tt.code != 0 {
				return
			}
			if got := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(tt.stdout, "\n") {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout, strings.Join(tt.stdout, "\n"))
			}
			if strings.Contains(stdout, "\x1b[") {
				t.Errorf("colours on a stdout that is not a terminal: %q", stdout)
			}
		})
	}

	t.Run("next token", func(t *testing.T) {
		_, _, stderr := run(t, env, "", "logs", "talker", "--since", since, "--limit", "4")
		_, token, _ := strings.Cut(strings.TrimSpace(stderr), "--next-token ")
		code, stdout, _ := run(t, env, "", "logs", "talker", "--since", since, "--next-token", token)
		if code != 0 || !strings.HasSuffix(stdout, "second invocation\n") || strings.Count(stdout, "\n") != 1 {
			t.Errorf("after %q: %d %q", token, code, stdout)
		}
	})

	t.Run("next token without since", func(t *testing.T) { // the token fixes the start: no default hour
		old := time.Now().Add(-90 * time.Minute)
		storeLines(t, env, old, 0, [3]string{"o1", msg.LogTypeFunction, "at -90m"})
		storeLines(t, env, old.Add(10*time.Minute), 0, [3]string{"o2", msg.LogTypeFunction, "at -80m"})
		_, stdout, stderr := run(t, env, "", "logs", "talker", "--since", "2h", "--filter", "at -", "--limit", "1")
		_, token, _ := strings.Cut(strings.TrimSpace(stderr), "--next-token ")
		if !strings.HasSuffix(stdout, " at -90m\n") || token == "" {
			t.Fatalf("first page %q, stderr %q", stdout, stderr)
		}
		code, stdout, _ := run(t, env, "", "logs", "talker", "--next-token", token, "--filter", "at -", "--limit", "1")
		if code != 0 || !strings.HasSuffix(stdout, " at -80m\n") {
			t.Errorf("after %q: %d %q, want the line at -80m", token, code, stdout)
		}
	})

	t.Run("json", func(t *testing.T) {
		code, stdout, _ := run(t, env, "", "logs", "talker", "--since", since, "--request-id", "r1", "-o", "json")
		var out lambdaapi.GetFunctionLogsOutput
		if code != 0 || json.Unmarshal([]byte(stdout), &out) != nil || len(out.Events) != 4 || out.Events[3].Message != report ||
			out.Events[3].Type != "platform" {
			t.Errorf("%d %s", code, stdout)
		}
	})
}

// TestLogsFollow runs `lambdock logs -f`: it prints the stored lines, then a line stored while it
// runs, and exits 0 when its context ends (Ctrl-C).
func TestLogsFollow(t *testing.T) {
	for _, output := range []string{"text", "json"} {
		t.Run(output, func(t *testing.T) {
			env := logsEnv(t)
			storeLines(t, env, time.Now(), 0, [3]string{"r1", msg.LogTypeFunction, "stored first"})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var stdout, stderr testenv.SyncBuffer
			exited := make(chan int, 1)
			go func() {
				exited <- cli.Main(ctx, []string{"--endpoint", env.URL, "logs", "talker", "-f", "-o", output}, strings.NewReader(""),
					&stdout, &stderr)
			}()
			waitFor := func(text string) {
				t.Helper()
				deadline := time.Now().Add(logsWait)
				for !strings.Contains(stdout.String(), text) {
					if time.Now().After(deadline) {
						t.Fatalf("%q never shown; stdout %q, stderr %q", text, stdout.String(), stderr.String())
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			waitFor("stored first")
			storeLines(t, env, time.Now(), 2, [3]string{"r2", msg.LogTypeFunction, "stored while following"})
			waitFor("stored while following")
			cancel()
			select {
			case code := <-exited:
				if code != cli.ExitOK {
					t.Errorf("exit %d after Ctrl-C, stderr %q", code, stderr.String())
				}
			case <-time.After(logsWait):
				t.Fatal("lambdock logs -f did not end with its context")
			}
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			if output == "json" {
				var first, dropped, second map[string]any
				if len(lines) != 3 || json.Unmarshal([]byte(lines[0]), &first) != nil || json.Unmarshal([]byte(lines[1]), &dropped) != nil ||
					json.Unmarshal([]byte(lines[2]), &second) != nil || first["Message"] != "stored first" ||
					dropped["DroppedLines"] != float64(2) || second["Message"] != "stored while following" {
					t.Errorf("stdout %q", stdout.String())
				}
				return
			}
			if len(lines) != 2 || !strings.HasSuffix(lines[0], " stored first") || !strings.HasSuffix(lines[1], " stored while following") ||
				!strings.Contains(stderr.String(), "2 log lines were dropped") {
				t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
			}
		})
	}
}

// TestLogsFollowReconnects: when the gateway ends the stream, `lambdock logs -f` reconnects
// after the last line it printed (Last-Event-ID) and goes on printing.
func TestLogsFollowReconnects(t *testing.T) {
	var mu sync.Mutex
	var lastIDs []string
	event := func(id, text string) string {
		b, _ := json.Marshal(lambdaapi.FunctionLogEvent{Timestamp: time.Now().UnixMilli(), Message: text, EventID: id})
		return "id: " + id + "\nevent: log\ndata: " + string(b) + "\n\n"
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("follow") != "true" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"Events":[],"DroppedLines":0}`)
			return
		}
		mu.Lock()
		lastIDs = append(lastIDs, r.Header.Get(lambdaapi.HeaderLastEventID))
		n := len(lastIDs)
		mu.Unlock()
		w.Header().Set("Content-Type", lambdaapi.ContentTypeEventStream)
		if n == 1 {
			_, _ = io.WriteString(w, event("7-0", "before the drop"))
			return // the stream ends
		}
		_, _ = io.WriteString(w, event("8-0", "after the reconnection"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testenv.SyncBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- cli.Main(ctx, []string{"--endpoint", srv.URL, "logs", "talker", "-f"}, strings.NewReader(""), &stdout, &stderr)
	}()
	deadline := time.Now().Add(logsWait)
	for !strings.Contains(stdout.String(), "after the reconnection") {
		if time.Now().After(deadline) {
			t.Fatalf("no reconnection; stdout %q, stderr %q", stdout.String(), stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if code := <-exited; code != cli.ExitOK {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lastIDs) != 2 || lastIDs[0] != "" || lastIDs[1] != "7-0" {
		t.Errorf("Last-Event-ID of the connections %q, want none then 7-0", lastIDs)
	}
	if !strings.Contains(stdout.String(), "before the drop") || !strings.Contains(stderr.String(), "reconnecting") {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}
