package lambdaclient_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/sigv4"
)

// TestSigning: the client's requests and the SigningTransport's pass the gateway's verifier
// with the right key, body included, and fail with another secret.
func TestSigning(t *testing.T) {
	const id, secret = "AKIAAAAAAAAAAAAAAAAA", "0123456789012345678901234567890123456789"
	v := &sigv4.Verifier{Region: "us-east-1", Keys: sigv4.KeyLookupFunc(func(_ context.Context, k string) (string, error) {
		if k == id {
			return secret, nil
		}
		return "", sigv4.ErrUnknownKey
	})}
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key, err := v.Verify(r.Context(), r, body)
		if err != nil {
			got = append(got, "refused")
			w.Header().Set("x-amzn-ErrorType", "InvalidSignatureException")
			w.WriteHeader(http.StatusForbidden)
			return
		}
		got = append(got, key+" "+string(body))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"Concurrency":{}}`))
	}))
	defer srv.Close()
	ctx := context.Background()

	good := lambdaclient.New(srv.URL, lambdaclient.WithCredentials(lambdaclient.Credentials{AccessKeyID: id, SecretAccessKey: secret}, ""))
	bad := lambdaclient.New(srv.URL, lambdaclient.WithCredentials(lambdaclient.Credentials{AccessKeyID: id, SecretAccessKey: strings.Repeat("x", 40)}, ""))
	if err := good.PutConcurrency(ctx, "f", 3); err != nil {
		t.Fatalf("signed client: %v", err)
	}
	if err := bad.PutConcurrency(ctx, "f", 3); err == nil {
		t.Fatal("a wrong secret was accepted")
	}
	tr := &lambdaclient.SigningTransport{Credentials: lambdaclient.Credentials{AccessKeyID: id, SecretAccessKey: secret}}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := hc.Post(srv.URL+"/2015-03-31/functions/f/invocations", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = hc.Get(srv.URL + "/2015-03-31/functions/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := []string{id + ` {"ReservedConcurrentExecutions":3}`, "refused", id + ` {"a":1}`, id + " "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("server saw %q, want %q", got, want)
	}
}
