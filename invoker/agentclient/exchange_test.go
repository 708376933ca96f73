package agentclient

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
)

func TestExchangeKeepsTheConnection(t *testing.T) {
	dir := longDir(t)
	serve(t, dir, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(agentproto.HeaderResultDurationNs, "1")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	c := newClient(t, dir)
	var first *conn
	for i := range 5 {
		r, err := c.Invoke(context.Background(), Invocation{RequestID: "r", Timeout: time.Second, Payload: []byte(`{}`)})
		if err != nil || string(r.Payload) != `{"ok":true}` || r.Duration != 1 {
			t.Fatalf("invoke %d: %v %+v", i, err, r)
		}
		if err := c.WaitIdle(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := len(c.idle); n != 1 {
			t.Fatalf("call %d: %d connections kept, want 1", i, n)
		}
		cn := <-c.idle
		if first == nil {
			first = cn
		} else if cn != first {
			t.Fatalf("call %d used a new connection", i)
		}
		c.idle <- cn
	}
}

func TestExchangeEndsWithTheContext(t *testing.T) {
	dir := longDir(t)
	serve(t, dir, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // an /idle that never comes
	}))
	c := newClient(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.WaitIdle(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitIdle = %v, want the context's deadline", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("WaitIdle returned %v after the deadline", took)
	}
	if n := len(c.idle); n != 0 {
		t.Errorf("%d interrupted connections kept", n)
	}
}

func TestExchangeRefusesInvalidHeaderValues(t *testing.T) {
	for _, v := range []string{"a\nb", "a\rb", "a\x00b", "a\x7fb"} {
		if _, err := requestHead(http.MethodPost, "/invoke", []header{{"X", v}}, nil); err == nil ||
			!strings.Contains(err.Error(), "invalid header field value") {
			t.Errorf("value %q: %v, want refused", v, err)
		}
	}
	if _, err := requestHead(http.MethodPost, "/invoke", []header{{"X", "tab\tand ünïcode"}}, nil); err != nil {
		t.Errorf("valid value refused: %v", err)
	}
}
