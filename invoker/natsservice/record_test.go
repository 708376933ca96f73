package natsservice

import (
	"math"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/invoker"
)

func TestUsageOf(t *testing.T) {
	spec := function.Spec{Name: "f", MemoryMB: 1024}.WithDefaults()
	tests := []struct {
		name       string
		res        invoker.Result
		wantBilled int64
		wantGBs    float64
		wantStatus string
		wantType   string
	}{
		{"warm success", invoker.Result{MemoryMB: 1024, Duration: 1200 * time.Microsecond, BilledDuration: 2 * time.Millisecond},
			2, 0.002, "success", ""},
		{"cold start bills init", invoker.Result{MemoryMB: 512, Duration: 10 * time.Millisecond, InitDuration: 290 * time.Millisecond,
			BilledDuration: 300 * time.Millisecond, Cold: true}, 300, 0.15, "success", ""},
		{"function error", invoker.Result{MemoryMB: 128, Duration: 3 * time.Second, BilledDuration: 3 * time.Second,
			FunctionError: "Sandbox.Timedout"}, 3000, 0.375, "timeout", "Sandbox.Timedout"},
		{"memory from the spec when the result has none", invoker.Result{Duration: 1500 * time.Microsecond,
			BilledDuration: 2 * time.Millisecond}, 2, 0.002, "success", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := usageOf("inv", msg.Invocation{}, spec, &tt.res)
			if u.BilledMs != tt.wantBilled || math.Abs(rules.GBSeconds(u.MBms)-tt.wantGBs) > 1e-12 || u.Status != tt.wantStatus ||
				u.ErrorType != tt.wantType || u.InvokerID != "inv" || u.Function != "f" || u.AccountID != tenant.AdminAccountID || u.Version != function.LatestVersion {
				t.Fatalf("usage = %+v; want billed %d, GB-s %g, status %s %s", u, tt.wantBilled, tt.wantGBs, tt.wantStatus, tt.wantType)
			}
		})
	}
}

func TestResultReplyLogTail(t *testing.T) {
	spec := function.Spec{Name: "f"}.WithDefaults()
	res := &invoker.Result{RequestID: "r", Payload: []byte(`{}`), LogTail: []byte("START"), FunctionError: "Unhandled",
		Duration: 3 * time.Millisecond, BilledDuration: 3 * time.Millisecond}
	for _, tail := range []bool{false, true} {
		sent := msg.ReplyMessage(resultReply(spec, tail, res))
		if h := sent.Header.Get(msg.HeaderReplyError); h != "" {
			t.Fatalf("a function error is not a failed reply, yet header %s = %q", msg.HeaderReplyError, h)
		}
		r, err := msg.DecodeReply(sent)
		if err != nil {
			t.Fatal(err)
		}
		if (len(r.LogTail) > 0) != tail || r.FunctionError != "Unhandled" || r.ExecutedVersion != "$LATEST" ||
			string(r.Payload) != `{}` || r.Error != nil {
			t.Fatalf("tail %v: reply = %+v", tail, r)
		}
	}
}
