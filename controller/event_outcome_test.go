package controller_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/lambdock/lambdock/controller"
	"github.com/lambdock/lambdock/internal/contract/msg"
)

// TestEventOutcomeUnknown: for the async engine, a failure before dispatch (no invoker) is
// retryable uncounted, while a failure after the invocation may have reached an invoker (no
// answer within the backstop) is marked outcome-unknown and counts as a function error.
func TestEventOutcomeUnknown(t *testing.T) {
	quick := testSpec()
	quick.TimeoutSec = 1
	cfg := controller.Config{InitAllowance: 50 * time.Millisecond, Grace: 50 * time.Millisecond,
		NoInvokerWait: 50 * time.Millisecond, HeartbeatExpiry: 300 * time.Millisecond}
	invoke := func(r *rig) msg.InvocationReply {
		t.Helper()
		inv := msg.Invocation{RequestID: uuid.NewString(), Function: quick, Payload: []byte(`{}`),
			Event: &msg.EventInfo{Attempt: 1, EnqueuedAt: time.Now()}}
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		reply, err := controller.DecodeEventReply(r.ctrl.InvokeEvent(ctx, msg.EncodeInvocation(inv), nil))
		if err != nil {
			t.Fatal(err)
		}
		return reply
	}

	r := newRig(t, cfg, nil, false)
	reply := invoke(r)
	if reply.Error == nil || reply.FunctionError != "" || !controller.IsRetryable(reply) {
		t.Fatalf("no invoker: %+v, function error %q; want a retryable failure", reply.Error, reply.FunctionError)
	}

	startManualInvoker(t, r.nc, "silent", false)
	eventually(t, "an attempt that reaches the silent invoker", func() bool {
		reply = invoke(r)
		return reply.FunctionError != "" || (reply.Error != nil && !controller.IsRetryable(reply))
	})
	if reply.FunctionError != controller.ErrorTypeOutcomeUnknown || reply.Error == nil || controller.IsRetryable(reply) {
		t.Fatalf("no answer within the backstop: %+v, function error %q; want %s, not retryable",
			reply.Error, reply.FunctionError, controller.ErrorTypeOutcomeUnknown)
	}
}
