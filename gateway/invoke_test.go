package gateway_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// controller answers like the controller would, steered by the event's "mode".
func controller(inv msg.Invocation) msg.InvocationReply {
	var ev struct{ Mode string }
	_ = json.Unmarshal(inv.Payload, &ev)
	reply := msg.InvocationReply{ExecutedVersion: "$LATEST", LogTail: []byte("START RequestId: x\nEND\n")}
	switch ev.Mode {
	case "error":
		reply.FunctionError = "Unhandled"
		reply.Payload = lambdaerr.FunctionErrorPayload("ValueError", "boom")
	case "throttle":
		e := lambdaerr.Throttled(lambdaerr.ReasonReservedFunctionConcurrentInvocationLimit)
		return msg.InvocationReply{Error: e}
	case "hostfull":
		return msg.InvocationReply{Error: lambdaerr.HostCapacityExceeded(2 * time.Second)}
	case "text":
		reply.Payload, reply.ContentType = []byte("plain"), "text/plain"
	default:
		reply.Payload = inv.Payload // echo
	}
	return reply
}

// TestInvokeMapping checks how replies map to Invoke responses.
func TestInvokeMapping(t *testing.T) {
	env := gatewaytest.New(t)
	seen := env.Respond(t, controller)
	createFunction(t, env, "fn")
	const path = "/2015-03-31/functions/fn/invocations"
	tail := map[string]string{"X-Amz-Log-Type": "Tail"}

	tests := []struct {
		name        string
		call        call
		status      int
		body        string
		contentType string
		header      map[string]string // "" means must be absent
	}{
		{"echo", call{method: "POST", path: path, body: []byte(`{"mode":"ok","n":1}`)}, 200, `{"mode":"ok","n":1}`, "application/json",
			map[string]string{"X-Amz-Executed-Version": "$LATEST", "X-Amz-Function-Error": "", "X-Amz-Log-Result": ""}},
		{"empty body is {}", call{method: "POST", path: path}, 200, `{}`, "application/json", nil},
		{"function error", call{method: "POST", path: path, body: []byte(`{"mode":"error"}`)}, 200,
			`{"errorType":"ValueError","errorMessage":"boom"}`, "application/json", map[string]string{"X-Amz-Function-Error": "Unhandled"}},
		{"log tail", call{method: "POST", path: path, header: tail, body: []byte(`{"mode":"ok"}`)}, 200, `{"mode":"ok"}`, "application/json",
			map[string]string{"X-Amz-Log-Result": base64.StdEncoding.EncodeToString([]byte("START RequestId: x\nEND\n"))}},
		{"content type", call{method: "POST", path: path + "?Qualifier=$LATEST", body: []byte(`{"mode":"text"}`)}, 200, "plain", "text/plain", nil},
		{"dry run", call{method: "POST", path: path, header: map[string]string{"X-Amz-Invocation-Type": "DryRun"}, body: []byte(`{}`)}, 204, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := do(t, env, tt.call)
			if resp.StatusCode != tt.status || string(b) != tt.body {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, b, tt.status, tt.body)
			}
			if tt.contentType != "" && resp.Header.Get("Content-Type") != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", resp.Header.Get("Content-Type"), tt.contentType)
			}
			for k, v := range tt.header {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}

	t.Run("throttle", func(t *testing.T) {
		resp, b := do(t, env, call{method: "POST", path: path, body: []byte(`{"mode":"throttle"}`)})
		wantError(t, resp, b, http.StatusTooManyRequests, lambdaerr.CodeTooManyRequests, "Rate Exceeded.")
		var e struct{ Reason string }
		if err := json.Unmarshal(b, &e); err != nil || e.Reason != lambdaerr.ReasonReservedFunctionConcurrentInvocationLimit {
			t.Errorf("Reason in %s", b)
		}
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			t.Errorf("Retry-After %q on a concurrency throttle", ra)
		}
	})

	t.Run("host full", func(t *testing.T) {
		resp, b := do(t, env, call{method: "POST", path: path, body: []byte(`{"mode":"hostfull"}`)})
		wantError(t, resp, b, http.StatusTooManyRequests, lambdaerr.CodeTooManyRequests,
			"Rate Exceeded. No execution environment became free within 2s: the invokers' memory is full.")
		var e struct{ Reason string }
		if err := json.Unmarshal(b, &e); err != nil || e.Reason != lambdaerr.ReasonHostCapacityExceeded {
			t.Errorf("Reason in %s", b)
		}
		if ra := resp.Header.Get("Retry-After"); ra != "1" {
			t.Errorf("Retry-After = %q, want 1", ra)
		}
	})

	t.Run("invocation fields", func(t *testing.T) {
		drain(seen)
		cc := `{"custom":{"k":"v"}}`
		resp, _ := do(t, env, call{method: "POST", path: "/2015-03-31/functions/000000000000:function:fn:$LATEST/invocations",
			header: map[string]string{"X-Amz-Log-Type": "Tail", "X-Amz-Client-Context": base64.StdEncoding.EncodeToString([]byte(cc)),
				"X-Amzn-Trace-Id": "Root=1-abc"}, body: []byte(`{"mode":"ok"}`)})
		inv := <-seen
		if inv.RequestID != resp.Header.Get(lambdaapi.HeaderRequestID) {
			t.Errorf("request id %q, response header %q", inv.RequestID, resp.Header.Get(lambdaapi.HeaderRequestID))
		}
		if inv.Function.Name != "fn" || inv.Function.Version != "$LATEST" || inv.Function.CodeSHA256 == "" ||
			inv.Function.TimeoutSec != 3 || inv.Function.Handler != "bootstrap" {
			t.Errorf("function spec %+v", inv.Function)
		}
		if inv.InvokedFunctionArn != "arn:aws:lambda:us-east-1:000000000000:function:fn:$LATEST" || inv.ClientContext != cc ||
			!inv.LogTail || inv.TraceID != "Root=1-abc" || string(inv.Payload) != `{"mode":"ok"}` {
			t.Errorf("invocation %+v", inv)
		}
		if !inv.Deadline.After(time.Now()) {
			t.Errorf("deadline %v is not in the future", inv.Deadline)
		}
	})

	t.Run("client", func(t *testing.T) {
		out, err := env.Client.Invoke(context.Background(), &lambdaclient.InvokeInput{FunctionName: "fn", Payload: []byte(`{"mode":"error"}`), LogTail: true})
		if err != nil || out.FunctionError != "Unhandled" || out.ExecutedVersion != "$LATEST" || string(out.LogResult) != "START RequestId: x\nEND\n" {
			t.Errorf("client invoke = %+v, %v", out, err)
		}
		_, err = env.Client.Invoke(context.Background(), &lambdaclient.InvokeInput{FunctionName: "fn", Payload: []byte(`{"mode":"throttle"}`)})
		if e := asAPIError(err); e == nil || e.Status != 429 || e.Code != lambdaerr.CodeTooManyRequests ||
			e.Reason != lambdaerr.ReasonReservedFunctionConcurrentInvocationLimit || e.Message != "Rate Exceeded." {
			t.Errorf("client throttle error = %v", err)
		}
	})
}

// TestInvokeCacheInvalidation checks that a change made through one gateway reaches another
// gateway's function cache through the NATS event.
func TestInvokeCacheInvalidation(t *testing.T) {
	env := gatewaytest.New(t)
	other := env.Another(t)
	seen := env.Respond(t, controller)
	createFunction(t, env, "fn")
	ctx := context.Background()

	invokeMemory := func() int {
		drain(seen)
		if _, err := other.Client.Invoke(ctx, &lambdaclient.InvokeInput{FunctionName: "fn"}); err != nil {
			t.Fatal(err)
		}
		return (<-seen).Function.MemoryMB
	}
	if m := invokeMemory(); m != 128 {
		t.Fatalf("memory %d, want 128", m)
	}
	mem := 512
	if _, err := env.Client.UpdateFunctionConfiguration(ctx, "fn", &lambdaapi.UpdateFunctionConfigurationInput{MemorySize: &mem}); err != nil {
		t.Fatal(err)
	}
	// The event is asynchronous: poll until the other gateway sees it (bounded by the test timeout).
	for invokeMemory() != 512 {
		time.Sleep(10 * time.Millisecond)
	}

	// A deleted function is gone from the other gateway's cache too.
	if err := env.Client.DeleteFunction(ctx, "fn"); err != nil {
		t.Fatal(err)
	}
	for {
		_, err := other.Client.Invoke(ctx, &lambdaclient.InvokeInput{FunctionName: "fn"})
		if e := asAPIError(err); e != nil && e.Code == lambdaerr.CodeResourceNotFound {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// drain empties an invocation channel.
func drain(ch <-chan msg.Invocation) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// TestInvocationUsageOrigin checks what an Invoke tells the usage record: the qualifier the
// caller named (none when unqualified) and no type (sync; an Event takes its type from its
// source).
func TestInvocationUsageOrigin(t *testing.T) {
	env := gatewaytest.New(t)
	seen := env.Respond(t, controller)
	createFunction(t, env, "fn")
	const path = "/2015-03-31/functions/fn/invocations"
	tests := []struct {
		name, path, wantQualifier string
	}{
		{"unqualified", path, ""},
		{"qualified", path + "?Qualifier=$LATEST", "$LATEST"},
		{"qualified partial ARN", "/2015-03-31/functions/000000000000:function:fn:$LATEST/invocations", "$LATEST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := do(t, env, call{method: "POST", path: tt.path, body: []byte(`{"mode":"ok"}`)})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got %d %s", resp.StatusCode, b)
			}
			select {
			case inv := <-seen:
				if inv.Type != "" || inv.UsageType() != msg.InvocationTypeSync || inv.Qualifier != tt.wantQualifier {
					t.Errorf("invocation type %q (usage %s), qualifier %q; want sync, %q", inv.Type, inv.UsageType(),
						inv.Qualifier, tt.wantQualifier)
				}
			default:
				t.Fatal("the controller saw no invocation")
			}
		})
	}
}
