package e2e

import "testing"

// BenchmarkInvokeWarmNode is BenchmarkInvokeWarm with the echo function written for nodejs20.x
// (testdata/node/echo: the event is the result), deployed through the CLI's code path: the same
// whole path, with Lambdock's Node.js runtime interface client in place of the Go runtime, so
// that the two p50s compare side by side. Run it with -benchtime 1000x for 1,000 invokes.
func BenchmarkInvokeWarmNode(b *testing.B) {
	need(b)
	l := start(b, newConfig(dataDir(b), "e2e-bench-node-"+randomID()))
	const fn, event = "node-echo", `{"op":"echo"}`
	deployNode(b, l, "echo", nil)
	benchWarm(b, l, fn, event, func(body []byte) bool { return string(body) == event })
}
