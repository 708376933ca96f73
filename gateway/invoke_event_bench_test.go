package gateway_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// BenchmarkInvokeEvent serves Event invokes through the gateway's handler (no HTTP network) on
// parallel goroutines: each is answered 202 once the embedded JetStream (in this process)
// stored the event, so the time and allocations per op are the gateway's accept path and the
// NATS server's work for it.
func BenchmarkInvokeEvent(b *testing.B) {
	env := gatewaytest.New(b)
	createFunction(b, env, "f")
	h := env.Gateway.Handler()
	payload := []byte(`{"op":"echo"}`)
	b.ReportAllocs()
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/2015-03-31/functions/f/invocations", bytes.NewReader(payload))
			req.Header.Set(lambdaapi.HeaderInvocationType, lambdaapi.InvocationEvent)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusAccepted {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
}
