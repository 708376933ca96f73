package agent

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkGoFunctionInvoke measures one warm invocation of a real aws-lambda-go function
// through the agent as the invoker drives it: POST /invoke, then GET /idle until the runtime is
// back at /next. Its CPU profile (-cpuprofile) is the agent's share of a warm invoke, plus the
// harness's client and the function's runtime.
func BenchmarkGoFunctionInvoke(b *testing.B) {
	h := startGoFunction(b)
	h.invokeAction("warm", "echo")
	waitIdle(b, h)
	b.ResetTimer()
	for i := range b.N {
		h.invokeAction("req-"+strconv.Itoa(i), "echo")
		waitIdle(b, h)
	}
}

// waitIdle waits until the agent's runtime is back at /next.
func waitIdle(b *testing.B, h *harness) {
	b.Helper()
	select {
	case status := <-h.idle():
		if status != 200 {
			b.Fatalf("/idle: status %d", status)
		}
	case <-time.After(patience):
		b.Fatal("/idle never answered")
	}
}
