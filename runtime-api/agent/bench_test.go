package agent

import (
	"strconv"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
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

// BenchmarkGoFunctionInvokeIdleMark is BenchmarkGoFunctionInvoke as the invoker drives the agent
// now: one POST /invoke per invocation, whose reply ends with the idle mark
// (agentproto.HeaderIdleFollows) instead of a GET /idle after it.
func BenchmarkGoFunctionInvokeIdleMark(b *testing.B) {
	benchmarkIdleMark(b, startGoFunction(b))
}

// BenchmarkGoFunctionInvokeExtension is BenchmarkGoFunctionInvokeIdleMark with one external
// extension (testext, subscribed to INVOKE, printing each event): what its INVOKE event and
// post-invoke phase add to a warm invocation.
func BenchmarkGoFunctionInvokeExtension(b *testing.B) {
	dir := b.TempDir()
	buildTestext(b, dir, "testext")
	benchmarkIdleMark(b, startGoFunctionWith(b, Options{ExtensionsDir: dir}))
}

func benchmarkIdleMark(b *testing.B, h *harness) {
	invoke := func(id string) {
		res := h.await(h.invoke(invokeRequest{id: id, payload: []byte(`{"action":"echo"}`),
			header: map[string]string{agentproto.HeaderIdleFollows: "true"}}))
		if res.status != 200 || len(res.body) == 0 || res.body[len(res.body)-1] != agentproto.IdleMark {
			b.Fatalf("reply: status %d, body %q", res.status, res.body)
		}
	}
	invoke("warm")
	b.ResetTimer()
	for i := range b.N {
		invoke("req-" + strconv.Itoa(i))
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
