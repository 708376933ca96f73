package cli

import (
	"bytes"
	"testing"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// TestLogColours checks which lines are coloured on a terminal: REPORT lines (red when the
// invocation timed out or failed), the timeout line and error lines; others are printed as they
// are.
func TestLogColours(t *testing.T) {
	const rep = "REPORT RequestId: r\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 9 MB\t"
	for _, tt := range []struct {
		msg, want string
	}{
		{rep, ansiReport},
		{rep + "Status: timeout\t", ansiError},
		{rep + "Status: error\tError Type: Runtime.ExitError\t", ansiError},
		{"2026-12-01T06:00:03.000Z r Task timed out after 3.00 seconds", ansiError},
		{"[ERROR] Exception: boom", ansiError},
		{"ERROR something broke", ansiError},
		{"START RequestId: r Version: $LATEST", ""},
		{"an error, in lower case", ""},
		{"the word REPORT inside", ""},
	} {
		var out bytes.Buffer
		p := &logPrinter{o: &options{output: OutputText, stdout: &out}, colour: true}
		if err := p.event(lambdaclient.LogStreamEvent{Event: &lambdaapi.FunctionLogEvent{Timestamp: 1, Message: tt.msg}}); err != nil {
			t.Fatal(err)
		}
		want := "1970-01-01T00:00:00.001Z " + tt.msg + "\n"
		if tt.want != "" {
			want = "1970-01-01T00:00:00.001Z " + tt.want + tt.msg + ansiReset + "\n"
		}
		if out.String() != want {
			t.Errorf("%q printed as %q, want %q", tt.msg, out.String(), want)
		}
	}
}
