package gateway_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/lambdock/lambdock/gateway"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
	"github.com/lambdock/lambdock/internal/testsupport/tenanttest"
)

// benchInvoke serves a DryRun Invoke of function f with a 1 KiB payload through the gateway's
// handler (no network), with the headers in header, b.N times. DryRun resolves the function
// from the cache and answers 204 without NATS, so what is measured is the HTTP handling,
// and with authentication the signature check, key lookup, rate limit and role check.
func benchInvoke(b *testing.B, env *gatewaytest.Env, header http.Header, payload []byte) {
	h := env.Gateway.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest(http.MethodPost, "/2015-03-31/functions/f/invocations", bytes.NewReader(payload))
		for k, v := range header {
			req.Header[k] = v
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusNoContent {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

func benchPayload() []byte { return bytes.Repeat([]byte(`{"k":"v"},`), 102)[:1020] }

// BenchmarkUnauthenticatedRequest is the baseline: authentication off.
func BenchmarkUnauthenticatedRequest(b *testing.B) {
	env := gatewaytest.New(b)
	createFunction(b, env, "f")
	payload := []byte(`[` + string(benchPayload()[:len(benchPayload())-1]) + `]`)
	benchInvoke(b, env, http.Header{lambdaapi.HeaderInvocationType: {lambdaapi.InvocationDryRun}}, payload)
}

// BenchmarkAuthenticatedRequest is the same request signed by an admin key of the store (the
// signature is made once; the gateway verifies it on every request, the key and its account
// coming from the credentials cache after the first).
func BenchmarkAuthenticatedRequest(b *testing.B) {
	env, _ := authEnv(b)
	benchAuthenticated(b, env)
}

// BenchmarkAuthenticatedRequestUncached is BenchmarkAuthenticatedRequest with every cached
// credential expired at once: each request looks the key and its account up in Postgres, as a
// key's first request (and every unknown key's) does.
func BenchmarkAuthenticatedRequestUncached(b *testing.B) {
	env, _ := authEnv(b, func(c *gateway.Config) { c.KeyCacheTTL = time.Nanosecond })
	benchAuthenticated(b, env)
}

// BenchmarkAuthenticatedRequestMemoryDirectory separates the verification's own cost: the keys
// come from an in-memory directory instead of Postgres.
func BenchmarkAuthenticatedRequestMemoryDirectory(b *testing.B) {
	benchAuthenticated(b, gatewaytest.New(b, gatewaytest.Auth(tenanttest.New())))
}

func benchAuthenticated(b *testing.B, env *gatewaytest.Env) {
	createFunction(b, env, "f")
	payload := []byte(`[` + string(benchPayload()[:len(benchPayload())-1]) + `]`)
	req := httptest.NewRequest(http.MethodPost, "http://example.com/2015-03-31/functions/f/invocations", bytes.NewReader(payload))
	req.Header.Set(lambdaapi.HeaderInvocationType, lambdaapi.InvocationDryRun)
	sum := sha256.Sum256(payload)
	creds := aws.Credentials{AccessKeyID: env.Admin.ID, SecretAccessKey: env.Admin.Secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	benchInvoke(b, env, req.Header, payload)
}
