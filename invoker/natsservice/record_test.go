package natsservice

import (
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/invoker"
)

// result is what the invoker makes of an invocation's measurements: billed once, by rules.Meter.
func result(memoryMB int, d, init time.Duration, functionError string) invoker.Result {
	return invoker.Result{RequestID: "r", MemoryMB: memoryMB, EphemeralMB: 512, Duration: d, InitDuration: init,
		FunctionError: functionError, Cold: init > 0, Bill: rules.Meter(rules.Measure{Duration: d, InitDuration: init,
			MemoryMB: memoryMB, MaxMemoryBytes: 30 << 20})}
}

func TestUsageOf(t *testing.T) {
	spec := function.Spec{Name: "f", MemoryMB: 1024}.WithDefaults()
	tests := []struct {
		name       string
		res        invoker.Result
		inv        msg.Invocation
		wantBilled int64
		wantGBs    float64
		wantStatus string
		wantType   string
	}{
		{"warm success", result(1024, 1200*time.Microsecond, 0, ""), msg.Invocation{}, 2, 0.002, "success", ""},
		{"cold start bills init", result(512, 10*time.Millisecond, 290*time.Millisecond, ""), msg.Invocation{},
			300, 0.15, "success", ""},
		{"timeout", result(128, 3*time.Second, 0, "Sandbox.Timedout"), msg.Invocation{}, 3000, 0.375, "timeout", "Sandbox.Timedout"},
		{"crash", result(128, 3*time.Millisecond, 0, "Runtime.ExitError"), msg.Invocation{}, 3, 0.000375, "crash", "Runtime.ExitError"},
		{"function error", result(128, 3*time.Millisecond, 0, "Unhandled"), msg.Invocation{}, 3, 0.000375, "error", "Unhandled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := usageOf("inv", tt.inv, spec, &tt.res)
			if u.BilledMs != tt.wantBilled || math.Abs(rules.GBSeconds(u.MBms)-tt.wantGBs) > 1e-12 || u.Status != tt.wantStatus ||
				u.ErrorType != tt.wantType || u.InvokerID != "inv" || u.Function != "f" || u.AccountID != tenant.AdminAccountID ||
				u.Version != function.LatestVersion || u.MaxMemoryUsedMB != 30 || u.Cold != (tt.res.InitDuration > 0) ||
				u.Attempt != 1 || u.Type != msg.InvocationTypeSync || u.Architecture != rules.ArchX86 || u.EphemeralMB != 512 {
				t.Fatalf("usage = %+v; want billed %d, GB-s %g, status %s %s", u, tt.wantBilled, tt.wantGBs, tt.wantStatus, tt.wantType)
			}
		})
	}
}

// An invocation a provisioned environment served says so in its record (warm: no init billed).
func TestUsageOfProvisioned(t *testing.T) {
	spec := function.Spec{Name: "f", MemoryMB: 1024, Version: "1"}.WithDefaults()
	for _, tc := range []struct {
		name        string
		provisioned bool
	}{
		{"on-demand", false},
		{"provisioned", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := result(1024, 1200*time.Microsecond, 0, "")
			res.Provisioned = tc.provisioned
			u := usageOf("inv", msg.Invocation{Qualifier: "prod"}, spec, &res)
			if u.Provisioned != tc.provisioned || u.Cold || u.InitDurationUs != 0 || u.BilledMs != 2 ||
				u.Type != msg.InvocationTypeSync {
				t.Fatalf("usage = %+v; want provisioned %v, warm, 2 ms billed", u, tc.provisioned)
			}
		})
	}
}

// The record says how the invocation came, which attempt it was, what the caller named and the
// function's architecture.
func TestUsageOfOrigin(t *testing.T) {
	res := result(128, time.Millisecond, 0, "")
	arm := function.Spec{Name: "f", MemoryMB: 128, Architecture: rules.ArchArm64}
	tests := []struct {
		name          string
		inv           msg.Invocation
		spec          function.Spec
		wantType      string
		wantQualifier string
		wantAttempt   int
		wantArch      string
	}{
		{"sync, qualified", msg.Invocation{Qualifier: "$LATEST"}, arm, "sync", "$LATEST", 1, "arm64"},
		{"url", msg.Invocation{Type: msg.InvocationTypeURL}, arm, "url", "", 1, "arm64"},
		{"queue", msg.Invocation{Type: msg.InvocationTypeQueue}, function.Spec{Name: "f"}, "queue", "", 1, "x86_64"},
		{"async retry", msg.Invocation{Event: &msg.EventInfo{Attempt: 3, Source: msg.EventSourceAPI, Qualifier: "$LATEST"}},
			arm, "async", "$LATEST", 3, "arm64"},
		{"schedule", msg.Invocation{Event: &msg.EventInfo{Attempt: 1, Source: msg.EventSourceSchedule}}, arm,
			"schedule", "", 1, "arm64"},
		{"destination", msg.Invocation{Event: &msg.EventInfo{Attempt: 2, Source: msg.EventSourceDestination}}, arm,
			"async", "", 2, "arm64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := usageOf("inv", tt.inv, tt.spec, &res)
			if u.Type != tt.wantType || u.Qualifier != tt.wantQualifier || u.Attempt != tt.wantAttempt || u.Architecture != tt.wantArch {
				t.Fatalf("usage = %+v; want type %s, qualifier %q, attempt %d, architecture %s", u, tt.wantType,
					tt.wantQualifier, tt.wantAttempt, tt.wantArch)
			}
		})
	}
}

func TestResultReplyLogTail(t *testing.T) {
	spec := function.Spec{Name: "f"}.WithDefaults()
	res := &invoker.Result{RequestID: "r", Payload: []byte(`{}`), LogTail: []byte("START"), FunctionError: "Unhandled",
		Duration: 3 * time.Millisecond, Bill: rules.Bill{BilledMs: 3}}
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

// TestUsageOfBoundsErrorType checks that a function's error type longer than maxErrorTypeBytes
// is cut in the usage record, at a UTF-8 boundary, so that the record stays far below the
// usage stream's MaxMsgSize.
func TestUsageOfBoundsErrorType(t *testing.T) {
	spec := function.Spec{Name: "f", MemoryMB: 128}.WithDefaults()
	tests := []struct {
		name, in, want string
	}{
		{"short", "Unhandled", "Unhandled"},
		{"exact", strings.Repeat("a", 256), strings.Repeat("a", 256)},
		{"100 KiB", strings.Repeat("x", 100<<10), strings.Repeat("x", 256)},
		// 255 ASCII bytes, then "é" (2 bytes) would end at byte 257: cut before it.
		{"multi-byte at the bound", strings.Repeat("a", 255) + strings.Repeat("é", 10), strings.Repeat("a", 255)},
		{"all multi-byte", strings.Repeat("€", 200), strings.Repeat("€", 85)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := result(128, time.Millisecond, 0, tt.in)
			u := usageOf("inv-1", msg.Invocation{}, spec, &res)
			if u.ErrorType != tt.want {
				t.Errorf("ErrorType has %d bytes, want %d (%.20q…)", len(u.ErrorType), len(tt.want), u.ErrorType)
			}
			if len(u.ErrorType) > maxErrorTypeBytes || !utf8.ValidString(u.ErrorType) {
				t.Errorf("ErrorType of %d bytes, valid UTF-8 %v", len(u.ErrorType), utf8.ValidString(u.ErrorType))
			}
			if u.Status != msg.UsageStatusOf(tt.in) {
				t.Errorf("status %q, want %q", u.Status, msg.UsageStatusOf(tt.in))
			}
		})
	}
}
