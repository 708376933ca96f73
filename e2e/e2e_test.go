package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// memoryMB gives the test functions a whole CPU share (128 MB gets 0.07 vCPU).
const memoryMB = 1024

// counted is the answer of the test function's {"op":"count"}.
type counted struct {
	Count    int    `json:"count"`
	Hostname string `json:"hostname"`
	PID      int    `json:"pid"`
}

// TestLambdockd runs one lambdockd through an operator's story. The subtests depend on each
// other in order; a failure stops the story.
func TestLambdockd(t *testing.T) {
	need(t)
	story := t // the server outlives each subtest
	dir := dataDir(t)
	cfg := newConfig(dir, "e2e-"+randomID())
	l := start(t, cfg)
	const (
		echoFn     = "e2e-count"
		reservedFn = "e2e-reserved"
		timeoutFn  = "e2e-timeout"
	)
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"100 invokes, one container, 100 usage rows", func(t *testing.T) {
			begin := time.Now()
			l.deploy(t, echoFn, memoryMB, 3)
			first := l.invoke(t, echoFn, `{"op":"echo","value":1}`)
			if first.status != http.StatusOK || string(first.body) != `{"op":"echo","value":1}` {
				t.Fatalf("first invoke: %v", first)
			}
			t.Logf("deploy + first invoke of a new function: %s", time.Since(begin).Round(time.Millisecond))
			var host string
			for i := 1; i <= 99; i++ {
				r := l.invoke(t, echoFn, `{"op":"count"}`)
				var c counted
				r.decode(t, &c)
				if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != "" || c.Count != i {
					t.Fatalf("invoke %d: %v", i, r)
				}
				if i == 1 {
					host = c.Hostname
				} else if c.Hostname != host {
					t.Fatalf("invoke %d ran on %s, earlier ones on %s", i, c.Hostname, host)
				}
			}
			if n := len(containers(t, sandbox.LabelFunction+"="+echoFn)); n != 1 {
				t.Fatalf("%d containers for %s, want 1", n, echoFn)
			}
			waitInvocations(t, l, echoFn, 100)
		}},
		{"authentication is on: unsigned and wrongly signed invokes are refused", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			url := l.url + "/2015-03-31/functions/" + echoFn + "/invocations"
			wrong := &http.Client{Transport: &lambdaclient.SigningTransport{Credentials: lambdaclient.Credentials{
				AccessKeyID: "AKIAAAAAAAAAAAAAAAAA", SecretAccessKey: strings.Repeat("x", 40)}}}
			for _, c := range []struct {
				client *http.Client
				want   string
			}{{http.DefaultClient, "MissingAuthenticationTokenException"}, {wrong, "UnrecognizedClientException"}} {
				r := post(ctx, c.client, url, `{"op":"echo"}`)
				if r.status != http.StatusForbidden || r.header.Get(lambdaapi.HeaderErrorType) != c.want {
					t.Fatalf("got %d %s, want 403 %s", r.status, r.header.Get(lambdaapi.HeaderErrorType), c.want)
				}
			}
		}},
		{"a maximum-size event goes to the function and back unchanged", func(t *testing.T) {
			// 6,291,456 bytes is Lambda's sync request limit; the event and the echoed result
			// cross NATS twice, as the raw bodies of their messages (max_payload 8 MiB).
			event := maxEvent()
			r := l.invoke(t, echoFn, event)
			if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != "" || string(r.body) != event {
				t.Fatalf("status %d, function error %q, %d bytes back (want the %d-byte event): %.300s",
					r.status, r.header.Get(lambdaapi.HeaderFunctionError), len(r.body), len(event), r.body)
			}
		}},
		{"reserved concurrency 1 throttles the second of two slow calls", func(t *testing.T) {
			l.deploy(t, reservedFn, memoryMB, 10)
			putConcurrency(t, l, reservedFn, 1)
			var wg sync.WaitGroup
			results := make([]response, 2)
			for i := range results {
				wg.Go(func() { results[i] = l.invoke(t, reservedFn, `{"op":"sleep","ms":2000}`) })
			}
			wg.Wait()
			slices.SortFunc(results, func(a, b response) int { return a.status - b.status })
			ok, throttled := results[0], results[1]
			if ok.status != http.StatusOK {
				t.Fatalf("the admitted call: %v", ok)
			}
			var body struct{ Reason, Type, Message string }
			throttled.decode(t, &body)
			if throttled.status != http.StatusTooManyRequests ||
				throttled.header.Get("x-amzn-ErrorType") != lambdaerr.CodeTooManyRequests ||
				body.Reason != lambdaerr.ReasonReservedFunctionConcurrentInvocationLimit {
				t.Fatalf("the throttled call: %v", throttled)
			}
			// The slot is free again once the environment is idle: a later call is admitted.
			eventually(t, func() string {
				if r := l.invoke(t, reservedFn, `{"op":"echo"}`); r.status != http.StatusOK {
					return "still throttled: " + r.String()
				}
				return ""
			})
		}},
		{"timeout gives Sandbox.Timedout, the next call succeeds", func(t *testing.T) {
			l.deploy(t, timeoutFn, memoryMB, 1)
			r := l.invoke(t, timeoutFn, `{"op":"sleep","ms":3000}`)
			var fe struct{ ErrorType, ErrorMessage string }
			r.decode(t, &fe)
			if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != lambdaerr.TypeUnhandled ||
				fe.ErrorType != lambdaerr.TypeSandboxTimedout {
				t.Fatalf("timed-out call: %v", r)
			}
			if r := l.invoke(t, timeoutFn, `{"op":"echo"}`); r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != "" {
				t.Fatalf("call after the timeout: %v", r)
			}
		}},
		{"deleting a function removes its warm container at once", func(t *testing.T) {
			const goneFn = "e2e-deleted"
			l.deploy(t, goneFn, memoryMB, 3)
			if r := l.invoke(t, goneFn, `{"op":"echo"}`); r.status != http.StatusOK {
				t.Fatalf("invoke: %v", r)
			}
			eventually(t, func() string {
				if n := len(containers(t, sandbox.LabelFunction+"="+goneFn)); n != 1 {
					return fmt.Sprintf("%d containers of %s, want its warm one", n, goneFn)
				}
				return ""
			})
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			if err := l.client.DeleteFunction(ctx, goneFn); err != nil {
				t.Fatal(err)
			}
			eventually(t, func() string { // well before its 10-minute keep-alive
				if n := len(containers(t, sandbox.LabelFunction+"="+goneFn)); n != 0 {
					return fmt.Sprintf("%d containers of the deleted %s left", n, goneFn)
				}
				return ""
			})
		}},
		{"restart lets the invocation in flight finish and keeps the functions", func(t *testing.T) {
			slow := l.invokeInFlight(t, echoFn, `{"op":"sleep","ms":1500}`)
			l.stop(t)
			if r := <-slow; r.status != http.StatusOK || string(r.body) != `{"slept_ms":1500}` {
				t.Fatalf("invocation in flight at shutdown: %v", r)
			}
			l = start(story, cfg)
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			list, err := l.client.ListFunctions(ctx, "", 50)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range list.Functions {
				names = append(names, f.FunctionName)
			}
			slices.Sort(names)
			if !slices.Equal(names, []string{echoFn, reservedFn, timeoutFn}) {
				t.Fatalf("functions after restart: %v", names)
			}
			if n, err := l.client.GetConcurrency(ctx, reservedFn); err != nil || n == nil || *n != 1 {
				t.Fatalf("reservation after restart: %v, %v", n, err)
			}
			r := l.invoke(t, echoFn, `{"op":"count"}`)
			var c counted
			r.decode(t, &c)
			if r.status != http.StatusOK || c.Count != 1 {
				t.Fatalf("invoke after restart: %v", r)
			}
			// 100 from the first step, the maximum-size event, the call in flight at shutdown
			// and the one after the restart.
			waitInvocations(t, l, echoFn, 103)
		}},
		{"shutdown fails what outlives it, removes every container, stops PostgreSQL", func(t *testing.T) {
			pgDir := l.srv.PostgresDir()
			pid := postmasterPID(pgDir)
			if pid == 0 {
				t.Fatalf("no PostgreSQL running in %s", pgDir)
			}
			// An invocation longer than the shutdown lets in-flight work run (2/3 of 9 s).
			slow := l.invokeInFlight(t, reservedFn, `{"op":"sleep","ms":9000}`)
			ctx, cancel := context.WithTimeout(context.Background(), 9*time.Second)
			defer cancel()
			err := l.srv.Shutdown(ctx)
			l.srv = nil
			t.Logf("shutdown: %v", err)
			r := <-slow
			if r.status != http.StatusInternalServerError || r.header.Get("x-amzn-ErrorType") != lambdaerr.CodeService ||
				!strings.Contains(string(r.body), "shut down during the invocation") {
				t.Fatalf("invocation cut by the shutdown: %v", r)
			}
			if left := containers(t, sandbox.LabelInvoker+"="+cfg.InvokerID); len(left) != 0 {
				t.Fatalf("%d containers left after shutdown", len(left))
			}
			if postmasterPID(pgDir) != 0 {
				t.Fatalf("postmaster.pid still in %s after shutdown", pgDir)
			}
			// The postmaster removes its pid file just before it exits: allow it that moment.
			eventually(t, func() string {
				if alive(pid) {
					return fmt.Sprintf("PostgreSQL (pid %d) still running after shutdown", pid)
				}
				return ""
			})
		}},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			t.FailNow()
		}
	}
}

// putConcurrency reserves n for the function.
func putConcurrency(t *testing.T, l *lambdockd, name string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if err := l.client.PutConcurrency(ctx, name, n); err != nil {
		t.Fatalf("put concurrency: %v", err)
	}
}

// waitInvocations waits until the usage writer has stored exactly want invocation rows of fn.
func waitInvocations(t *testing.T, l *lambdockd, fn string, want int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pollTimeout)
	defer cancel()
	st, err := store.Open(ctx, l.srv.DatabaseURL(), testLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	last := "no count read"
	eventually(t, func() string {
		n, err := st.CountInvocations(ctx, tenant.AdminAccountID, fn)
		if err == nil {
			last = fmt.Sprintf("%d invocation rows of %s, want %d", n, fn, want)
		}
		if err != nil || n != want {
			return fmt.Sprintf("%s (now: %v)", last, err)
		}
		return ""
	})
}
