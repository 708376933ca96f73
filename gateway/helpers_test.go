package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// call is one raw HTTP request to the gateway.
type call struct {
	method string
	path   string
	header map[string]string
	body   []byte
}

// do sends c to env and returns the response and its body. Every response must carry a
// request id.
func do(t *testing.T, env *gatewaytest.Env, c call) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(context.Background(), c.method, env.URL+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, b := roundTrip(t, req)
	if resp.Header.Get(lambdaapi.HeaderRequestID) == "" {
		t.Errorf("%s %s: no %s header", c.method, c.path, lambdaapi.HeaderRequestID)
	}
	return resp, b
}

// mustJSON encodes v.
func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// createBody is a valid CreateFunction body for name; edit changes it before encoding.
func createBody(t testing.TB, name string, edit func(m map[string]any)) []byte {
	t.Helper()
	m := map[string]any{
		"FunctionName": name,
		"Runtime":      "provided.al2023",
		"Handler":      "bootstrap",
		"Role":         "arn:aws:iam::000000000000:role/test",
		"Code":         map[string]any{"ZipFile": gatewaytest.Zip(t, map[string]string{"bootstrap": "#!/bin/sh\n"})},
	}
	if edit != nil {
		edit(m)
	}
	return mustJSON(t, m)
}

// createFunction creates a function through the client.
func createFunction(t testing.TB, env *gatewaytest.Env, name string) *lambdaapi.FunctionConfiguration {
	t.Helper()
	var in lambdaapi.CreateFunctionInput
	if err := json.Unmarshal(createBody(t, name, nil), &in); err != nil {
		t.Fatal(err)
	}
	out, err := env.Client.CreateFunction(context.Background(), &in)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return out
}

// wantError asserts that resp is the Lambda API error code with status and a message
// containing msg.
func wantError(t *testing.T, resp *http.Response, body []byte, status int, code, msg string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status = %d, want %d (body %s)", resp.StatusCode, status, body)
	}
	if got := resp.Header.Get(lambdaapi.HeaderErrorType); got != code {
		t.Errorf("%s = %q, want %q", lambdaapi.HeaderErrorType, got, code)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var e struct {
		Type    string `json:"Type"`
		Code    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if e.Type != "User" && e.Type != "Service" {
		t.Errorf("Type = %q, want User or Service", e.Type)
	}
	if e.Code != code {
		t.Errorf("__type = %q, want %q", e.Code, code)
	}
	if !strings.Contains(e.Message, msg) {
		t.Errorf("message = %q, want it to contain %q", e.Message, msg)
	}
}

// asAPIError returns the *lambdaclient.APIError in err, or nil.
func asAPIError(err error) *lambdaclient.APIError {
	var e *lambdaclient.APIError
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// roundTrip sends req with the default client and returns the response with its body read.
func roundTrip(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// idA and idB are the two accounts of the tenancy tests (twoAccounts).
const idA, idB = "111111111111", "222222222222"

// twoAccounts creates the accounts idA and idB (concurrency 10 each) and returns a client signed
// as each.
func twoAccounts(t testing.TB, env *gatewaytest.Env) (a, b *lambdaclient.Client) {
	t.Helper()
	for _, acct := range []*tenant.Account{{ID: idA, Name: "a", Concurrency: 10}, {ID: idB, Name: "b", Concurrency: 10}} {
		if err := env.DB.CreateAccount(context.Background(), acct); err != nil {
			t.Fatal(err)
		}
	}
	return env.ClientFor(idA), env.ClientFor(idB)
}

// createFunctionWith creates the function name (createBody's defaults) through c.
func createFunctionWith(t testing.TB, c *lambdaclient.Client, name string) {
	t.Helper()
	var in lambdaapi.CreateFunctionInput
	if err := json.Unmarshal(createBody(t, name, nil), &in); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFunction(context.Background(), &in); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
}
