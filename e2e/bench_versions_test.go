package e2e

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// BenchmarkInvokeQualified compares, on one server in one run, warm sequential invokes of the
// same function through each kind of qualifier: none ($LATEST), a version, an alias, an alias
// with weighted routing (the gateway draws a version per invocation) and an alias with
// provisioned concurrency. Before them it logs the first call of a version that has no
// environment (a cold start) beside the first call of the provisioned alias (initialised
// ahead). Run it with -benchtime 1000x; the function has 128 MB, as in Lambda's default, so
// its CPU quota (0.072 vCPU) shapes the tail.
func BenchmarkInvokeQualified(b *testing.B) {
	need(b)
	l := start(b, newConfig(dataDir(b), "e2e-bench-q-"+randomID()))
	const fn = "e2e-bench-q"
	for i, code := range []string{"one", "two", "three"} {
		l.deployCode(b, fn, code)
		l.publish(b, fn, string(rune('1'+i)))
	}
	for _, a := range []string{
		`{"Name":"live","FunctionVersion":"1"}`,
		`{"Name":"canary","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"2":0.5}}}`,
		`{"Name":"pc","FunctionVersion":"3"}`,
	} {
		l.apiJSON(b, http.MethodPost, "/2015-03-31/functions/"+fn+"/aliases", a, http.StatusCreated, nil)
	}
	l.apiJSON(b, http.MethodPut, "/2019-09-30/functions/"+fn+"/provisioned-concurrency?Qualifier=pc",
		`{"ProvisionedConcurrentExecutions":1}`, http.StatusAccepted, nil)
	waitReady(b, l, fn, "pc")

	for _, target := range []string{fn + ":2", fn + ":pc"} {
		begin := time.Now()
		if r := l.invoke(b, target, `{"name":"bench"}`); r.status != http.StatusOK {
			b.Fatalf("first invoke of %s: %v", target, r)
		}
		b.Logf("first call of %s: %.1f ms", target, ms(time.Since(begin)))
	}
	ok := func(body []byte) bool { return bytes.Contains(body, []byte(`"Hello, bench!"`)) }
	for _, c := range []struct{ name, target string }{
		{"latest", fn},
		{"version", fn + ":1"},
		{"alias", fn + ":live"},
		{"weighted-alias", fn + ":canary"},
		{"provisioned-alias", fn + ":pc"},
	} {
		b.Run(c.name, func(b *testing.B) { benchWarm(b, l, c.target, `{"name":"bench"}`, ok) })
	}
}

// waitReady waits until the provisioned concurrency configuration of fn:qualifier is READY.
func waitReady(b *testing.B, l *lambdockd, fn, qualifier string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), provisionWait)
	defer cancel()
	for {
		c, err := l.client.GetProvisionedConcurrency(ctx, fn, qualifier)
		if err == nil && c.Status == lambdaapi.ProvisionedReady {
			return
		}
		if err == nil && c.Status == lambdaapi.ProvisionedFailed {
			b.Fatalf("provisioned concurrency of %s:%s FAILED: %s", fn, qualifier, c.StatusReason)
		}
		select {
		case <-ctx.Done():
			b.Fatalf("provisioned concurrency of %s:%s not READY within %s (last: %v, %v)", fn, qualifier, provisionWait, c, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
