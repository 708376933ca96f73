package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/async/eventq"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// queuedEvent is the event the stream holds for a request id, or nil when it holds none.
func queuedEvent(t *testing.T, env *gatewaytest.Env, id string) *msg.Invocation {
	t.Helper()
	ctx := context.Background()
	s, err := env.JetStream.Stream(ctx, msg.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(ctx, msg.EventSubject(id))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get(jetstream.MsgIDHeader); got != msg.EventMsgID(id, 1) {
		t.Errorf("Nats-Msg-Id = %q, want %q", got, msg.EventMsgID(id, 1))
	}
	inv, err := msg.DecodeInvocation(&nats.Msg{Header: m.Header, Data: m.Data})
	if err != nil {
		t.Fatal(err)
	}
	return &inv
}

// eventCount is how many events the stream holds.
func eventCount(t *testing.T, env *gatewaytest.Env) uint64 {
	t.Helper()
	s, err := env.JetStream.Stream(context.Background(), msg.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// jsonOfSize is a JSON string of exactly n bytes.
func jsonOfSize(n int) []byte { return []byte(`"` + strings.Repeat("x", n-2) + `"`) }

// An Event invoke is checked like a sync one, stored on the event stream, then answered 202 with
// an empty body and the request id, which is the queued invocation's.
func TestInvokeEvent(t *testing.T) {
	env := gatewaytest.New(t)
	createFunction(t, env, "fn")
	event := map[string]string{"X-Amz-Invocation-Type": "Event"}
	const path = "/2015-03-31/functions/fn/invocations"

	t.Run("accepted", func(t *testing.T) {
		cc := `{"custom":{"k":"v"}}`
		resp, b := do(t, env, call{method: "POST", path: path + "?Qualifier=$LATEST", body: []byte(`{"n":1}`),
			header: map[string]string{"X-Amz-Invocation-Type": "Event", "X-Amzn-Trace-Id": "Root=1-abc",
				"X-Amz-Client-Context": "eyJjdXN0b20iOnsiayI6InYifX0="}})
		if resp.StatusCode != http.StatusAccepted || len(b) != 0 {
			t.Fatalf("got %d %q, want 202 and no body", resp.StatusCode, b)
		}
		id := resp.Header.Get(lambdaapi.HeaderRequestID)
		inv := queuedEvent(t, env, id)
		if inv == nil {
			t.Fatalf("no event on the stream for %s", id)
		}
		if inv.RequestID != id || string(inv.Payload) != `{"n":1}` || inv.Function.Name != "fn" ||
			inv.Function.AccountID != tenant.AdminAccountID || inv.Function.Region != "us-east-1" ||
			inv.InvokedFunctionArn != "arn:aws:lambda:us-east-1:000000000000:function:fn:$LATEST" ||
			inv.ClientContext != cc || inv.TraceID != "Root=1-abc" || !inv.Deadline.IsZero() {
			t.Errorf("queued invocation %+v", inv)
		}
		if e := inv.Event; e == nil || e.Attempt != 1 || e.Source != msg.EventSourceAPI || e.Qualifier != "$LATEST" ||
			time.Since(e.EnqueuedAt) > time.Minute {
			t.Errorf("event info %+v", inv.Event)
		}
	})

	t.Run("exactly the limit", func(t *testing.T) {
		resp, b := do(t, env, call{method: "POST", path: path, header: event, body: jsonOfSize(rules.MaxEventPayload)})
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("1 MiB event: got %d %s, want 202", resp.StatusCode, b)
		}
		if inv := queuedEvent(t, env, resp.Header.Get(lambdaapi.HeaderRequestID)); inv == nil || len(inv.Payload) != rules.MaxEventPayload {
			t.Errorf("the 1 MiB event is not stored whole")
		}
	})

	refused := []struct {
		name   string
		call   call
		status int
		code   string
		msg    string
	}{
		{"over the limit", call{method: "POST", path: path, header: event, body: jsonOfSize(rules.MaxEventPayload + 1)},
			413, lambdaerr.CodeRequestTooLarge, "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)"},
		{"over the sync limit", call{method: "POST", path: path, header: event, body: jsonOfSize(rules.MaxInvokeRequest + 10)},
			413, lambdaerr.CodeRequestTooLarge, "6291466 byte payload is too large for the Event invocation type (limit 1048576 bytes)"},
		{"bad JSON", call{method: "POST", path: path, header: event, body: []byte(`{"n":`)},
			400, lambdaerr.CodeInvalidRequestContent, "Could not parse request body into json"},
		{"bad client context", call{method: "POST", path: path, header: map[string]string{"X-Amz-Invocation-Type": "Event",
			"X-Amz-Client-Context": "not base64"}, body: []byte(`{}`)},
			400, lambdaerr.CodeInvalidRequestContent, "Client context must be a valid Base64-encoded JSON object."},
		{"unknown function", call{method: "POST", path: "/2015-03-31/functions/nope/invocations", header: event, body: []byte(`{}`)},
			404, lambdaerr.CodeResourceNotFound, "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			before := eventCount(t, env)
			resp, b := do(t, env, tt.call)
			wantError(t, resp, b, tt.status, tt.code, tt.msg)
			if after := eventCount(t, env); after != before {
				t.Errorf("the stream went from %d to %d events: a refused event was published", before, after)
			}
		})
	}

	t.Run("dry run", func(t *testing.T) {
		resp, b := do(t, env, call{method: "POST", path: path, header: map[string]string{"X-Amz-Invocation-Type": "DryRun"}})
		if resp.StatusCode != http.StatusNoContent || len(b) != 0 {
			t.Fatalf("got %d %q, want 204", resp.StatusCode, b)
		}
	})

	t.Run("client", func(t *testing.T) {
		out, err := env.Client.Invoke(context.Background(), &lambdaclient.InvokeInput{FunctionName: "fn",
			InvocationType: lambdaapi.InvocationEvent, Payload: []byte(`{}`)})
		if err != nil || out.StatusCode != http.StatusAccepted || out.RequestID == "" || queuedEvent(t, env, out.RequestID) == nil {
			t.Fatalf("client Event invoke = %+v, %v", out, err)
		}
	})
}

// When the event cannot be stored the caller gets an error, never a 202: 500 without the stream,
// 429 EventQueueFull when it is full.
func TestInvokeEventNotStored(t *testing.T) {
	ctx := context.Background()
	event := map[string]string{"X-Amz-Invocation-Type": "Event"}
	const path = "/2015-03-31/functions/fn/invocations"

	t.Run("no stream", func(t *testing.T) {
		env := gatewaytest.New(t)
		createFunction(t, env, "fn")
		if err := env.JetStream.DeleteStream(ctx, msg.StreamEvents); err != nil {
			t.Fatal(err)
		}
		resp, b := do(t, env, call{method: "POST", path: path, header: event, body: []byte(`{}`)})
		wantError(t, resp, b, http.StatusInternalServerError, lambdaerr.CodeService, "The event could not be queued")
	})

	t.Run("full stream", func(t *testing.T) {
		env := gatewaytest.New(t)
		createFunction(t, env, "fn")
		if err := eventq.EnsureStream(ctx, env.JetStream, 64<<10); err != nil {
			t.Fatal(err)
		}
		body := jsonOfSize(16 << 10)
		for i := 0; ; i++ {
			resp, b := do(t, env, call{method: "POST", path: path, header: event, body: body})
			if resp.StatusCode == http.StatusAccepted {
				if i > 10 {
					t.Fatalf("%d events of 16 KiB accepted by a 64 KiB stream", i)
				}
				continue
			}
			wantError(t, resp, b, http.StatusTooManyRequests, lambdaerr.CodeTooManyRequests, "event queue is full")
			if !strings.Contains(string(b), `"Reason":"EventQueueFull"`) || resp.Header.Get("Retry-After") != "1" {
				t.Errorf("full stream answer %s, Retry-After %q", b, resp.Header.Get("Retry-After"))
			}
			break
		}
	})
}

// The status of an Event invoke: queued while its event waits in the stream, then what the
// controller recorded; another account's id is unknown (404), a malformed one is 400.
func TestInvocationStatus(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	a, b := twoAccounts(t, env)
	createFunctionWith(t, a, "fn")
	out, err := a.Invoke(ctx, &lambdaclient.InvokeInput{FunctionName: "fn", InvocationType: lambdaapi.InvocationEvent})
	if err != nil || out.StatusCode != http.StatusAccepted {
		t.Fatalf("Event invoke = %+v, %v", out, err)
	}
	id := out.RequestID

	st, err := a.GetInvocation(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if st.RequestID != id || st.Status != lambdaapi.InvocationQueued || st.Attempt != 0 ||
		st.FunctionArn != "arn:aws:lambda:us-east-1:"+idA+":function:fn:$LATEST" || st.NextAttemptAt != "" ||
		st.EnqueuedAt == "" || st.LastModified == "" || st.Final() {
		t.Errorf("queued status %+v", st)
	}
	if _, err := time.Parse(time.RFC3339, st.EnqueuedAt); err != nil {
		t.Errorf("EnqueuedAt: %v", err)
	}

	_, err = b.GetInvocation(ctx, id)
	if e := asAPIError(err); e == nil || e.Status != http.StatusNotFound || e.Code != lambdaerr.CodeResourceNotFound ||
		e.Message != "Invocation not found: "+id {
		t.Errorf("another account's GetInvocation: %v", err)
	}
	_, err = a.GetInvocation(ctx, "6f1c2a4e-0000-4000-8000-000000000000")
	if e := asAPIError(err); e == nil || e.Status != http.StatusNotFound {
		t.Errorf("unknown id: %v", err)
	}
	for _, bad := range []string{"not-a-uuid", "6f1c2a4e-0000-4000-8000-00000000000.", "*"} {
		_, err = a.GetInvocation(ctx, bad)
		if e := asAPIError(err); e == nil || e.Status != http.StatusBadRequest || e.Code != lambdaerr.CodeInvalidParameterValue {
			t.Errorf("GetInvocation(%q): %v, want 400", bad, err)
		}
	}

	// What the controller records wins over the stream.
	conn, err := pgx.Connect(ctx, env.PostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(ctx) }()
	next := time.Date(2030, 1, 2, 3, 4, 5, 600e6, time.UTC)
	if _, err := conn.Exec(ctx, `INSERT INTO async_invocations (request_id, account_id, function_name, state, attempt,
		attempt_done, next_attempt_at, error_type, enqueued_at, updated_at)
		VALUES ($1, $2, 'fn', 'retrying', 1, 1, $3, 'Unhandled', now(), now())`, id, idA, next); err != nil {
		t.Fatal(err)
	}
	st, err = a.GetInvocation(ctx, id)
	if err != nil || st.Status != lambdaapi.InvocationRetrying || st.NextAttemptAt != "2030-01-02T03:04:05.600Z" ||
		st.ErrorType != "Unhandled" || st.Attempt != 1 || st.Final() {
		t.Errorf("retrying status %+v, %v", st, err)
	}
	if _, err := conn.Exec(ctx, `UPDATE async_invocations SET state = 'failed', attempt = 3, next_attempt_at = NULL,
		condition = 'RetriesExhausted' WHERE request_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	st, err = a.GetInvocation(ctx, id)
	if err != nil || st.Status != lambdaapi.InvocationFailed || st.Condition != "RetriesExhausted" || st.Attempt != 3 ||
		st.NextAttemptAt != "" || !st.Final() {
		t.Errorf("failed status %+v, %v", st, err)
	}
	if _, err = b.GetInvocation(ctx, id); asAPIError(err) == nil || asAPIError(err).Status != http.StatusNotFound {
		t.Errorf("another account reads a recorded invocation: %v", err)
	}
}

// With authentication the body is read before the handler; the Event limit and the status
// endpoint work the same, and GetInvocation is for admin and owner keys.
func TestInvokeEventSigned(t *testing.T) {
	env := gatewaytest.New(t, gatewaytest.Auth(nil))
	createFunction(t, env, "fn")
	ctx := context.Background()
	_, err := env.Client.Invoke(ctx, &lambdaclient.InvokeInput{FunctionName: "fn", InvocationType: lambdaapi.InvocationEvent,
		Payload: jsonOfSize(rules.MaxEventPayload + 1)})
	if e := asAPIError(err); e == nil || e.Status != http.StatusRequestEntityTooLarge ||
		e.Message != "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)" {
		t.Errorf("signed oversize Event: %v", err)
	}
	invoker := env.SignedClient(env.AddKey(t, tenant.AdminAccountID, tenant.RoleInvoke, "fn"))
	out, err := invoker.Invoke(ctx, &lambdaclient.InvokeInput{FunctionName: "fn", InvocationType: lambdaapi.InvocationEvent})
	if err != nil || out.StatusCode != http.StatusAccepted {
		t.Fatalf("invoke key's Event invoke = %+v, %v", out, err)
	}
	if st, err := env.Client.GetInvocation(ctx, out.RequestID); err != nil || st.Status != lambdaapi.InvocationQueued {
		t.Errorf("admin's GetInvocation = %+v, %v", st, err)
	}
	if _, err := invoker.GetInvocation(ctx, out.RequestID); asAPIError(err) == nil || asAPIError(err).Status != http.StatusForbidden {
		t.Errorf("invoke key's GetInvocation: %v, want 403", err)
	}
}
