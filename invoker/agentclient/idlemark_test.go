package agentclient

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/runtime-api/channel"
	"github.com/lambdock/lambdock/runtime-api/environment"
	"github.com/lambdock/lambdock/runtime-api/logcapture"
	"github.com/lambdock/lambdock/runtime-api/runtimeapi"
)

// markEnv is an environment behind the agent's real channel handler: Invoke answers at once,
// WaitIdle returns what idle delivers (or the end of its context).
type markEnv struct{ idle chan error }

func (e markEnv) Invoke(context.Context, environment.Request) (environment.Outcome, error) {
	return environment.Outcome{Result: runtimeapi.Result{Payload: []byte(`{"ok":1}`)}, MaxMemoryBytes: -1}, nil
}

func (e markEnv) WaitIdle(ctx context.Context) error {
	select {
	case err := <-e.idle:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e markEnv) WaitBootInit(context.Context) error { return nil }

func TestIdleMarkFollowsTheReply(t *testing.T) {
	for _, tc := range []struct {
		name     string
		idle     error // what the environment's WaitIdle returns; nil: idle
		cancel   bool  // the invoker stops waiting before the environment is idle
		wantErr  bool
		wantKept bool // the connection is kept for the next exchange
	}{
		{name: "idle", wantKept: true},
		{name: "waiting failed", idle: errors.New("runtime gone"), wantErr: true},
		{name: "invoker gives up", cancel: true, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := longDir(t)
			env := markEnv{idle: make(chan error, 1)}
			var idleRequests atomic.Int32
			h := channel.Handler(env, logcapture.NewSink(0))
			serve(t, dir, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == agentproto.PathIdle {
					idleRequests.Add(1)
				}
				h.ServeHTTP(w, r)
			}))
			c := newClient(t, dir)

			// The reply comes while the environment is still busy.
			r, err := c.Invoke(context.Background(), Invocation{RequestID: "r", Timeout: time.Second, Payload: []byte(`{}`)})
			if err != nil || string(r.Payload) != `{"ok":1}` {
				t.Fatalf("invoke: %v %+v", err, r)
			}
			done := make(chan error, 1)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { done <- c.WaitIdle(ctx) }()
			select {
			case err := <-done:
				t.Fatalf("WaitIdle returned %v before the environment was idle", err)
			case <-time.After(50 * time.Millisecond):
			}
			if tc.cancel {
				cancel()
			} else {
				env.idle <- tc.idle
			}
			if err := <-done; (err != nil) != tc.wantErr {
				t.Fatalf("WaitIdle: %v, want error %v", err, tc.wantErr)
			}
			if n := idleRequests.Load(); n != 0 {
				t.Errorf("%d GET %s requests; the idle signal should come on the reply", n, agentproto.PathIdle)
			}
			if kept := len(c.idle) == 1; kept != tc.wantKept {
				t.Errorf("connection kept: %v, want %v", kept, tc.wantKept)
			}
		})
	}
}
