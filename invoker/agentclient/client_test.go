package agentclient

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
)

// longDir returns a channel directory whose socket path is longer than a unix socket path may be,
// to show that the Client does not depend on it.
func longDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 60))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// serve runs handler as a fake agent on dir's socket (bound through a descriptor, as the
// path is too long to bind directly).
func serve(t *testing.T, dir string, handler http.Handler) {
	t.Helper()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ln, err := net.Listen("unix", filepath.Join("/proc/self/fd", strconv.Itoa(int(d.Fd())), agentproto.SocketName))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

func newClient(t *testing.T, dir string) *Client {
	t.Helper()
	c, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestWaitHealthyWaitsForTheAgent(t *testing.T) {
	dir := longDir(t)
	c := newClient(t, dir)
	go func() {
		time.Sleep(30 * time.Millisecond)
		serve(t, dir, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != agentproto.PathHealth {
				http.NotFound(w, r)
			}
		}))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitHealthy(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestWaitHealthyGivesUp(t *testing.T) {
	c := newClient(t, longDir(t))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.WaitHealthy(ctx); err == nil {
		t.Fatal("WaitHealthy without an agent succeeded")
	}
}

func TestInvoke(t *testing.T) {
	tail := base64.StdEncoding.EncodeToString([]byte("START RequestId: r1\n"))
	tests := []struct {
		name      string
		status    int
		headers   map[string]string
		wantErr   bool
		wantReply Reply
	}{
		{
			name:   "success",
			status: 200,
			headers: map[string]string{
				"Content-Type":                        "application/json",
				agentproto.HeaderResultDurationNs:     "1500000",
				agentproto.HeaderResultInitDurationNs: "2000000",
				agentproto.HeaderResultMaxMemoryBytes: "10485760",
				agentproto.HeaderResultLogTail:        tail,
			},
			wantReply: Reply{ContentType: "application/json", Duration: 1500 * time.Microsecond,
				InitDuration: 2 * time.Millisecond, MaxMemoryBytes: 10 << 20, LogTail: []byte("START RequestId: r1\n")},
		},
		{
			name:      "function error",
			status:    200,
			headers:   map[string]string{"Content-Type": "application/json", agentproto.HeaderResultErrorType: "Sandbox.Timedout", agentproto.HeaderResultReset: "true"},
			wantReply: Reply{ContentType: "application/json", ErrorType: "Sandbox.Timedout", Reset: true},
		},
		{name: "agent failure", status: 500, wantErr: true},
		{name: "malformed duration", status: 200, headers: map[string]string{agentproto.HeaderResultDurationNs: "soon"}, wantErr: true},
		{name: "malformed log tail", status: 200, headers: map[string]string{agentproto.HeaderResultLogTail: "!!"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := longDir(t)
			var got http.Header
			var gotBody []byte
			serve(t, dir, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.Header.Clone()
				gotBody, _ = io.ReadAll(r.Body)
				for k, v := range tc.headers {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(`{"ok":1}`))
			}))
			c := newClient(t, dir)
			reply, err := c.Invoke(context.Background(), Invocation{
				RequestID: "r1", Timeout: 3 * time.Second, FunctionArn: "arn:x", TraceID: "Root=1",
				ClientContext: `{"c":1}`, Payload: []byte(`{"in":1}`),
			})
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Invoke = %+v, want an error", reply)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantHeaders := map[string]string{
				agentproto.HeaderRequestID: "r1", agentproto.HeaderTimeoutMs: "3000",
				agentproto.HeaderFunctionArn: "arn:x", agentproto.HeaderTraceID: "Root=1",
				agentproto.HeaderClientContext: `{"c":1}`, "Content-Type": "application/json",
			}
			for k, v := range wantHeaders {
				if got.Get(k) != v {
					t.Errorf("request header %s = %q, want %q", k, got.Get(k), v)
				}
			}
			if string(gotBody) != `{"in":1}` {
				t.Errorf("request body %q", gotBody)
			}
			tc.wantReply.Payload = []byte(`{"ok":1}`)
			if !reflect.DeepEqual(*reply, tc.wantReply) {
				t.Errorf("reply %+v, want %+v", *reply, tc.wantReply)
			}
		})
	}
}

func TestWaitIdle(t *testing.T) {
	dir := longDir(t)
	release := make(chan struct{})
	serve(t, dir, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != agentproto.PathIdle {
			http.NotFound(w, r)
			return
		}
		<-release
	}))
	c := newClient(t, dir)
	done := make(chan error, 1)
	go func() { done <- c.WaitIdle(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("WaitIdle returned before the agent was idle: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
