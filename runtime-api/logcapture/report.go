package logcapture

import (
	"fmt"
	"strings"
	"time"

	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// Report is what the REPORT line of one invocation says. Its billed numbers (Billed Duration,
// Max Memory Used) come from rules.Meter of Measure, the one place that computes them, so that
// the line and the invocation's usage record agree.
type Report struct {
	RequestID string
	// Measure is the invocation's: Duration is the invoke phase, InitDuration is non-zero on the
	// invocation that ran init, MemoryMB is Memory Size, MaxMemoryBytes the peak.
	Measure  rules.Measure
	TimedOut bool
}

// String renders the REPORT line as AWS writes it (lambda-api.md §7): tab separated with a
// trailing tab, durations with two decimals, Init Duration after Max Memory Used, and
// "Status: timeout" last on a timeout.
func (r Report) String() string {
	m, bill := r.Measure, rules.Meter(r.Measure)
	var b strings.Builder
	fmt.Fprintf(&b, "REPORT RequestId: %s\tDuration: %s ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		r.RequestID, millis(m.Duration), bill.BilledMs, m.MemoryMB, bill.MaxMemoryUsedMB)
	if init := m.BilledInit(); init > 0 {
		fmt.Fprintf(&b, "Init Duration: %s ms\t", millis(init))
	}
	if r.TimedOut {
		b.WriteString("Status: timeout")
	}
	return b.String()
}

// StartLine is the first line of an invocation's log.
func StartLine(requestID, version string) string {
	return fmt.Sprintf("START RequestId: %s Version: %s", requestID, version)
}

// EndLine closes an invocation's log, before REPORT.
func EndLine(requestID string) string {
	return "END RequestId: " + requestID
}

// TimeoutLine is the line Lambda writes when an invocation times out:
// "2006-01-02T15:04:05.000Z <id> Task timed out after 3.00 seconds".
func TimeoutLine(at time.Time, requestID string, timeout time.Duration) string {
	return fmt.Sprintf("%s %s Task timed out after %.2f seconds",
		at.UTC().Format("2006-01-02T15:04:05.000Z07:00"), requestID, timeout.Seconds())
}

func millis(d time.Duration) string {
	return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond))
}
