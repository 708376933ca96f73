package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/lambdock/lambdock/cmd/lambdockd/server"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// TestFunctionURL serves a deployed aws-lambda-go function (events.LambdaFunctionURLRequest →
// LambdaFunctionURLResponse) through its function URL to a plain net/http client: method, path,
// query, headers, cookies and a binary body in; a status, headers, two cookies and the binary
// body back byte for byte. Also a CORS preflight, a function without a URL (404), and an AWS_IAM
// URL refusing an unsigned request (403) and serving one signed by the admin key.
func TestFunctionURL(t *testing.T) {
	need(t)
	dir := dataDir(t)
	l := start(t, newConfig(dir, "e2e-url-"+randomID()))
	const (
		fn      = "e2e-url"
		private = "e2e-url-iam"
	)
	l.deploy(t, fn, memoryMB, 10)
	l.deploy(t, private, memoryMB, 10)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	created, err := l.client.CreateFunctionURL(ctx, fn, &lambdaapi.FunctionURLConfigInput{
		AuthType: lambdaapi.AuthTypeNone,
		Cors:     &lambdaapi.Cors{AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"PUT"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.FunctionURL != l.url+"/fn/"+fn+"/" {
		t.Fatalf("FunctionUrl %q, want %q", created.FunctionURL, l.url+"/fn/"+fn+"/")
	}

	t.Run("request and response byte for byte", func(t *testing.T) {
		body := make([]byte, 0, 512)
		for i := range 512 {
			body = append(body, byte(i))
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, created.FunctionURL+"some/path?status=207&q=a%20b", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("X-Test", "header value")
		req.Header.Set("Cookie", "a=1; b=2")
		req.Header.Set("Origin", "https://app.example.com")
		r := do(t, req)
		want := map[string]string{"X-Method": "PUT", "X-Path": "/some/path", "X-Query": "status=207&q=a%20b",
			"X-Test-Header": "header value", "X-Cookies": "a=1;b=2", "Content-Type": "application/octet-stream",
			"Access-Control-Allow-Origin": "https://app.example.com"}
		for name, v := range want {
			if got := r.header.Get(name); got != v {
				t.Errorf("%s: %q, want %q", name, got, v)
			}
		}
		if r.status != 207 || !bytes.Equal(r.body, body) ||
			strings.Join(r.header.Values("Set-Cookie"), "|") != "c1=one; Path=/|c2=two; HttpOnly" {
			t.Fatalf("%d, Set-Cookie %q, %d bytes back (equal: %v)", r.status, r.header.Values("Set-Cookie"),
				len(r.body), bytes.Equal(r.body, body))
		}
	})

	t.Run("CORS preflight", func(t *testing.T) {
		req, err := http.NewRequestWithContext(ctx, http.MethodOptions, created.FunctionURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", "https://app.example.com")
		req.Header.Set("Access-Control-Request-Method", "PUT")
		r := do(t, req)
		if r.status != http.StatusOK || r.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
			r.header.Get("Access-Control-Allow-Methods") != "PUT" || len(r.body) != 0 {
			t.Fatalf("preflight: %v", r)
		}
	})

	t.Run("a function without a URL is not public", func(t *testing.T) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.url+"/fn/"+private+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		if r := do(t, req); r.status != http.StatusNotFound {
			t.Fatalf("no URL: %v", r)
		}
	})

	t.Run("AWS_IAM refuses an unsigned request", func(t *testing.T) {
		iam, err := l.client.CreateFunctionURL(ctx, private, &lambdaapi.FunctionURLConfigInput{AuthType: lambdaapi.AuthTypeAWSIAM})
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, iam.FunctionURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r := do(t, req); r.status != http.StatusForbidden || r.header.Get("x-amzn-ErrorType") != "AccessDeniedException" {
			t.Fatalf("unsigned: %v", r)
		}

		// Signed by the admin key lambdockd wrote at first start: the function runs.
		keyID, secret := adminCredentials(t, dir)
		body := []byte("signed body")
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, iam.FunctionURL+"p", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(body)
		if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}, req,
			hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		if r := do(t, req); r.status != http.StatusOK || string(r.body) != string(body) || r.header.Get("X-Path") != "/p" {
			t.Fatalf("signed: %v", r)
		}
	})
}

// adminCredentials reads the admin key from the credentials file lambdockd writes in its data
// directory at first start.
func adminCredentials(t *testing.T, dir string) (keyID, secret string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, server.CredentialsFileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, "=")
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			keyID = strings.TrimSpace(v)
		case "aws_secret_access_key":
			if ok {
				secret = strings.TrimSpace(v)
			}
		}
	}
	if keyID == "" || secret == "" {
		t.Fatalf("no key in %s", server.CredentialsFileName)
	}
	return keyID, secret
}

// do sends req with a plain net/http client and reads the whole answer.
func do(t *testing.T, req *http.Request) response {
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
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}
