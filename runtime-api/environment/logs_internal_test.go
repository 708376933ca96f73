package environment

import (
	"testing"

	"github.com/lambdock/lambdock/runtime-api/runtimeapi"
)

// TestFailurePlatform: a failed invocation's error line says its message and type; a cancelled
// one, with neither, has no line (not an empty one).
func TestFailurePlatform(t *testing.T) {
	tests := []struct {
		name string
		res  runtimeapi.Result
		want string // "" for no line
	}{
		{"runtime exit", runtimeapi.Result{ErrorType: "Runtime.ExitError",
			Payload: []byte(`{"errorMessage":"RequestId: r Error: Runtime exited with error: exit status 1","errorType":"Runtime.ExitError"}`)},
			"RequestId: r Error: Runtime exited with error: exit status 1\nRuntime.ExitError"},
		{"type only", runtimeapi.Result{ErrorType: "Runtime.ExitError"}, "\nRuntime.ExitError"},
		{"cancelled", runtimeapi.Result{}, ""},
		{"cancelled with a blank payload", runtimeapi.Result{Payload: []byte(" \n")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := failurePlatform(tt.res)
			if ok != (tt.want != "") || p.Text != tt.want {
				t.Errorf("failurePlatform = %q, %v; want %q", p.Text, ok, tt.want)
			}
		})
	}
}
