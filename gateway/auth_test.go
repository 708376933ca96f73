package gateway_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// authEnv is a gateway with authentication on against the store's accounts and keys, its
// directory and an admin key (env.Admin).
func authEnv(t testing.TB, configure ...func(*gateway.Config)) (*gatewaytest.Env, tenant.Directory) {
	t.Helper()
	env := gatewaytest.New(t, append([]func(*gateway.Config){gatewaytest.Auth(nil)}, configure...)...)
	return env, env.Directory
}

// sdkAs is the aws-sdk-go-v2 Lambda client of env signing with the given key.
func sdkAs(env *gatewaytest.Env, id, secret string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(env.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
		}),
		RetryMaxAttempts: 1,
	})
}

// signed sends method path with body to env signed by aws-sdk-go-v2's signer at signTime, and
// returns the status, the error type header and the body.
func signed(t *testing.T, env *gatewaytest.Env, k *tenant.Key, signTime time.Time, method, path string, body []byte) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, env.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", signTime); err != nil {
		t.Fatal(err)
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) (int, string, []byte) {
	t.Helper()
	resp, b := roundTrip(t, req)
	return resp.StatusCode, resp.Header.Get(lambdaapi.HeaderErrorType), b
}

// message is the "message" of an error body.
func message(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Message string `json:"message"`
		Reason  string `json:"Reason"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	return e.Message
}

// TestAuthenticationErrors checks every authentication failure through real HTTP with
// signatures made by aws-sdk-go-v2: the status, the exact x-amzn-ErrorType and the message.
func TestAuthenticationErrors(t *testing.T) {
	env, dir := authEnv(t)
	ctx := context.Background()
	owner := env.AddKey(t, "111111111111", tenant.RoleOwner)
	disabled := env.AddKey(t, "111111111111", tenant.RoleOwner)
	if err := dir.SetKeyDisabled(ctx, disabled.ID, true); err != nil {
		t.Fatal(err)
	}
	offAccount := env.AddKey(t, "222222222222", tenant.RoleOwner)
	if err := dir.SetAccountDisabled(ctx, "222222222222", true); err != nil {
		t.Fatal(err)
	}
	unknown := &tenant.Key{ID: tenant.NewKeyID(), Secret: tenant.NewSecret()}
	wrong := &tenant.Key{ID: owner.ID, Secret: tenant.NewSecret()}
	now := time.Now()
	const list = "/2015-03-31/functions/"

	tests := []struct {
		name     string
		do       func() (int, string, []byte)
		status   int
		typ      string
		msPrefix string
	}{
		{"unsigned", func() (int, string, []byte) {
			req, _ := http.NewRequest(http.MethodGet, env.URL+list, nil)
			return send(t, req)
		}, 403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"unknown key", func() (int, string, []byte) { return signed(t, env, unknown, now, "GET", list, nil) },
			403, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"disabled key", func() (int, string, []byte) { return signed(t, env, disabled, now, "GET", list, nil) },
			403, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"disabled account", func() (int, string, []byte) { return signed(t, env, offAccount, now, "GET", list, nil) },
			403, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"wrong secret", func() (int, string, []byte) { return signed(t, env, wrong, now, "GET", list, nil) },
			403, "InvalidSignatureException", "The request signature we calculated does not match"},
		{"expired date", func() (int, string, []byte) {
			return signed(t, env, owner, now.Add(-10*time.Minute), "GET", list, nil)
		}, 403, "InvalidSignatureException", "Signature expired: "},
		{"body changed after signing", func() (int, string, []byte) {
			req, _ := http.NewRequest(http.MethodPut, env.URL+"/2017-10-31/functions/f/concurrency",
				strings.NewReader(`{"ReservedConcurrentExecutions":1}`))
			sum := sha256.Sum256([]byte(`{"ReservedConcurrentExecutions":2}`))
			_ = v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: owner.ID, SecretAccessKey: owner.Secret}, req,
				hex.EncodeToString(sum[:]), "lambda", "us-east-1", now)
			return send(t, req)
		}, 403, "InvalidSignatureException", "The request signature we calculated does not match"},
		{"unknown operation is authenticated first", func() (int, string, []byte) {
			req, _ := http.NewRequest(http.MethodGet, env.URL+"/nope", nil)
			return send(t, req)
		}, 403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"healthz stays open", func() (int, string, []byte) {
			req, _ := http.NewRequest(http.MethodGet, env.URL+"/healthz", nil)
			return send(t, req)
		}, 200, "", ""},
		{"valid key", func() (int, string, []byte) { return signed(t, env, owner, now, "GET", list, nil) }, 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, typ, body := tt.do()
			if status != tt.status || typ != tt.typ {
				t.Fatalf("status %d type %q (%s), want %d %q", status, typ, body, tt.status, tt.typ)
			}
			if tt.typ != "" && !strings.HasPrefix(message(t, body), tt.msPrefix) {
				t.Errorf("message %q, want it to start with %q", message(t, body), tt.msPrefix)
			}
			if tt.typ != "" && (strings.Contains(string(body), owner.Secret) || strings.Contains(string(body), wrong.Secret)) {
				t.Error("an error body carries a secret")
			}
		})
	}
}

// TestSDKWithKeys drives the gateway with aws-sdk-go-v2 clients: a valid key works, the SDK
// surfaces each failure as the typed error code, and a presigned URL works.
func TestSDKWithKeys(t *testing.T) {
	env, _ := authEnv(t)
	env.Respond(t, controller)
	ctx := context.Background()
	owner := env.AddKey(t, tenant.AdminAccountID, tenant.RoleOwner)

	sdk := sdkAs(env, owner.ID, owner.Secret)
	createFunction(t, env, "sdk-fn") // through env.Client, signed by the admin key
	out, err := sdk.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil || len(out.Functions) != 1 {
		t.Fatalf("ListFunctions with a valid key: %+v, %v", out, err)
	}
	if _, err := sdk.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sdk-fn"), Payload: []byte(`{"a":1}`)}); err != nil {
		t.Fatalf("Invoke with a valid key: %v", err)
	}

	// GetFunction's Code.Location is presigned with the caller's key: a plain GET downloads the
	// zip, and the unsigned path alone is refused.
	fn, err := sdk.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("sdk-fn")})
	if err != nil {
		t.Fatal(err)
	}
	loc := aws.ToString(fn.Code.Location)
	if !strings.Contains(loc, "X-Amz-Signature=") || !strings.Contains(loc, "X-Amz-Credential="+owner.ID) ||
		!strings.Contains(loc, "X-Amz-Expires=600") {
		t.Fatalf("Code.Location %q is not presigned by the caller for 10 minutes", loc)
	}
	for _, c := range []struct {
		url    string
		status int
	}{{loc, 200}, {strings.SplitN(loc, "?", 2)[0], 403}} {
		resp, err := http.Get(c.url)
		if err != nil {
			t.Fatal(err)
		}
		zip, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || c.status == 200 && (resp.Header.Get("Content-Type") != "application/zip" || len(zip) == 0) {
			t.Errorf("GET %s: %d %s", c.url, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}

	codes := []struct {
		name string
		sdk  *lambda.Client
		want string
	}{
		{"unknown key", sdkAs(env, tenant.NewKeyID(), tenant.NewSecret()), "UnrecognizedClientException"},
		{"wrong secret", sdkAs(env, owner.ID, tenant.NewSecret()), "InvalidSignatureException"},
	}
	for _, c := range codes {
		_, err := c.sdk.ListFunctions(ctx, &lambda.ListFunctionsInput{})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != c.want {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}

	// A presigned URL (query-string SigV4) for GetFunction, fetched by a plain HTTP client.
	req, _ := http.NewRequest(http.MethodGet, env.URL+"/2015-03-31/functions/sdk-fn", nil)
	q := req.URL.Query()
	q.Set("X-Amz-Expires", "300")
	req.URL.RawQuery = q.Encode()
	emptyHash := hex.EncodeToString(func() []byte { s := sha256.Sum256(nil); return s[:] }())
	u, _, err := v4.NewSigner().PresignHTTP(ctx, aws.Credentials{AccessKeyID: owner.ID, SecretAccessKey: owner.Secret},
		req, emptyHash, "lambda", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"FunctionName":"sdk-fn"`) {
		t.Errorf("presigned GetFunction: %d %s", resp.StatusCode, b)
	}
	tampered := strings.Replace(u, "sdk-fn", "sdk-fm", 1)
	resp, err = http.Get(tampered)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get(lambdaapi.HeaderErrorType) != "InvalidSignatureException" {
		t.Errorf("tampered presigned URL: %d %s", resp.StatusCode, resp.Header.Get(lambdaapi.HeaderErrorType))
	}
}

// TestRoles checks each role against representative operations: what it may do succeeds (or
// fails for another reason than access), what it may not do is AccessDeniedException with
// AWS's message.
func TestRoles(t *testing.T) {
	env, _ := authEnv(t)
	env.Respond(t, controller)
	createFunction(t, env, "img-x")
	createFunction(t, env, "other")
	ctx := context.Background()
	invoke := env.AddKey(t, tenant.AdminAccountID, tenant.RoleInvoke, "img-*")
	owner := env.AddKey(t, tenant.AdminAccountID, tenant.RoleOwner)
	now := time.Now()

	tests := []struct {
		name   string
		key    *tenant.Key
		method string
		path   string
		body   string
		status int
		denied string // the message when 403
	}{
		{"invoke key invokes img-x", invoke, "POST", "/2015-03-31/functions/img-x/invocations", `{}`, 200, ""},
		{"invoke key invokes img-x by ARN", invoke, "POST",
			"/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:img-x/invocations", `{}`, 200, ""},
		{"invoke key cannot invoke other", invoke, "POST", "/2015-03-31/functions/other/invocations", `{}`, 403,
			"User: arn:aws:iam::000000000000:user/" + invoke.ID + " is not authorized to perform: lambda:InvokeFunction " +
				"on resource: arn:aws:lambda:us-east-1:000000000000:function:other"},
		{"invoke key cannot list", invoke, "GET", "/2015-03-31/functions/", "", 403,
			"User: arn:aws:iam::000000000000:user/" + invoke.ID + " is not authorized to perform: lambda:ListFunctions " +
				"on resource: arn:aws:lambda:us-east-1:000000000000:function:*"},
		{"invoke key cannot read img-x", invoke, "GET", "/2015-03-31/functions/img-x", "", 403,
			"User: arn:aws:iam::000000000000:user/" + invoke.ID + " is not authorized to perform: lambda:GetFunction " +
				"on resource: arn:aws:lambda:us-east-1:000000000000:function:img-x"},
		{"invoke key cannot create keys", invoke, "POST", "/lambdock/v1/keys", `{}`, 403,
			"User: arn:aws:iam::000000000000:user/" + invoke.ID + " is not authorized to perform: lambdock:CreateKey " +
				"on resource: arn:aws:lambdock::000000000000:key/*"},
		{"owner lists functions", owner, "GET", "/2015-03-31/functions/", "", 200, ""},
		{"owner sets concurrency", owner, "PUT", "/2017-10-31/functions/other/concurrency",
			`{"ReservedConcurrentExecutions":1}`, 200, ""},
		{"owner lists keys", owner, "GET", "/lambdock/v1/keys", "", 200, ""},
		{"owner cannot list accounts", owner, "GET", "/lambdock/v1/accounts", "", 403,
			"User: arn:aws:iam::000000000000:user/" + owner.ID + " is not authorized to perform: lambdock:ListAccounts " +
				"on resource: arn:aws:lambdock::000000000000:account/*"},
		{"owner cannot create accounts", owner, "POST", "/lambdock/v1/accounts", `{"Name":"x"}`, 403,
			"User: arn:aws:iam::000000000000:user/" + owner.ID + " is not authorized to perform: lambdock:CreateAccount " +
				"on resource: arn:aws:lambdock::000000000000:account/*"},
		{"admin lists accounts", env.Admin, "GET", "/lambdock/v1/accounts", "", 200, ""},
		{"unknown operation is 404 for any key", invoke, "GET", "/2015-03-31/nope", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, typ, body := signed(t, env, tt.key, now, tt.method, tt.path, []byte(tt.body))
			if status != tt.status {
				t.Fatalf("status %d (%s %s), want %d", status, typ, body, tt.status)
			}
			if tt.denied != "" && (typ != "AccessDeniedException" || message(t, body) != tt.denied) {
				t.Errorf("denied with %s %q\nwant %q", typ, message(t, body), tt.denied)
			}
		})
	}

	// The same through the SDK: the typed error code reaches the caller.
	_, err := sdkAs(env, invoke.ID, invoke.Secret).ListFunctions(ctx, &lambda.ListFunctionsInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" {
		t.Errorf("SDK ListFunctions with an invoke key: %v", err)
	}
}

// TestCallerRateLimit: a key over its rate gets 429 CallerRateLimitExceeded; another key is not
// affected. The rate is so low that no token comes back during the test.
func TestCallerRateLimit(t *testing.T) {
	env, _ := authEnv(t, func(c *gateway.Config) { c.RateLimit, c.RateBurst = 0.001, 2 })
	a := env.AddKey(t, tenant.AdminAccountID, tenant.RoleOwner)
	b := env.AddKey(t, tenant.AdminAccountID, tenant.RoleOwner)
	now := time.Now()
	for i, want := range []int{200, 200, 429, 429} {
		status, typ, body := signed(t, env, a, now, "GET", "/2015-03-31/functions/", nil)
		if status != want {
			t.Fatalf("request %d: %d %s %s, want %d", i+1, status, typ, body, want)
		}
		if want == 429 {
			var e map[string]string
			_ = json.Unmarshal(body, &e)
			if typ != "TooManyRequestsException" || e["Reason"] != "CallerRateLimitExceeded" ||
				e["message"] != "Rate exceeded" || e["Type"] != "User" {
				t.Errorf("429 answer: %s %s", typ, body)
			}
		}
	}
	if status, _, _ := signed(t, env, b, now, "GET", "/2015-03-31/functions/", nil); status != 200 {
		t.Errorf("another key: %d", status)
	}
}

// TestAuthBodyLimit: a signed invoke over 6 MiB is refused with 413 before any signature work,
// and the body a handler reads is the one the signature covered.
func TestAuthBodyLimit(t *testing.T) {
	env, _ := authEnv(t)
	env.Respond(t, controller)
	createFunction(t, env, "f")
	big := bytes.Repeat([]byte("a"), rules.MaxInvokeRequest+1)
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/2015-03-31/functions/f/invocations", bytes.NewReader(big))
	if status, typ, _ := send(t, req); status != 403 || typ != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned oversized invoke: %d %s, want the missing signature first", status, typ)
	}
	status, typ, _ := signed(t, env, env.Admin, time.Now(), "POST", "/2015-03-31/functions/f/invocations", big)
	if status != 413 || typ != "RequestEntityTooLargeException" {
		t.Errorf("oversized invoke: %d %s", status, typ)
	}
	out, err := env.Client.Invoke(context.Background(), &lambdaclient.InvokeInput{FunctionName: "f",
		Payload: []byte(`{"hello":"signed"}`)})
	if err != nil || !strings.Contains(string(out.Payload), `"hello":"signed"`) {
		t.Errorf("signed invoke: %+v %v", out, err)
	}
}

// TestAccountsIsolatedBySignature: with real signatures, two accounts' keys each see their own
// function of the same name, and A's key cannot read, invoke or delete B's (404, also by ARN).
func TestAccountsIsolatedBySignature(t *testing.T) {
	env, _ := authEnv(t)
	env.Respond(t, controller)
	ctx := context.Background()
	const a, b = "111111111111", "222222222222"
	keyA, keyB := env.AddKey(t, a, tenant.RoleOwner), env.AddKey(t, b, tenant.RoleOwner)
	clientA, clientB := env.SignedClient(keyA), env.SignedClient(keyB)
	for _, c := range []*lambdaclient.Client{clientA, clientB} {
		var in lambdaapi.CreateFunctionInput
		if err := json.Unmarshal(createBody(t, "same", nil), &in); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateFunction(ctx, &in); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	fa, err := clientA.GetFunction(ctx, "same")
	if err != nil || fa.Configuration.FunctionArn != "arn:aws:lambda:us-east-1:"+a+":function:same" {
		t.Fatalf("A's function: %+v %v", fa, err)
	}
	arnB := "arn:aws:lambda:us-east-1:" + b + ":function:same"
	now := time.Now()
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/2015-03-31/functions/" + arnB, ""},
		{"POST", "/2015-03-31/functions/" + arnB + "/invocations", "{}"},
		{"DELETE", "/2015-03-31/functions/" + arnB, ""},
	} {
		status, typ, body := signed(t, env, keyA, now, c.method, c.path, []byte(c.body))
		if status != 404 || typ != "ResourceNotFoundException" {
			t.Errorf("A's key, %s %s: %d %s %s", c.method, c.path, status, typ, body)
		}
	}
	if fb, err := clientB.GetFunction(ctx, arnB); err != nil || fb.Configuration.FunctionArn != arnB {
		t.Errorf("B's function after A's attempts: %+v %v", fb, err)
	}
	list, err := clientA.ListFunctions(ctx, "", 50)
	if err != nil || len(list.Functions) != 1 {
		t.Errorf("A lists %+v %v", list, err)
	}
}

// TestUnknownKeyRefusedBeforeTheBody: a code upload signed with an unknown key, an expired date
// or a foreign region is refused while its body is still being sent: the gateway does not read
// (up to 70 MB of) a body whose signature cannot be authentic. The body here never ends, so a
// gateway that read it first would never answer.
func TestUnknownKeyRefusedBeforeTheBody(t *testing.T) {
	env, _ := authEnv(t)
	unknown := &tenant.Key{ID: "AKIAAAAAAAAAAAAAAAAA", Secret: strings.Repeat("x", 40)}
	tests := []struct {
		name     string
		key      *tenant.Key
		at       time.Time
		region   string
		wantType string
	}{
		{"unknown key", unknown, time.Now(), "us-east-1", "UnrecognizedClientException"},
		{"expired date", env.Admin, time.Now().Add(-time.Hour), "us-east-1", "InvalidSignatureException"},
		{"other region", env.Admin, time.Now(), "eu-west-1", "InvalidSignatureException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, w := io.Pipe()
			defer w.Close()
			go func() { _, _ = w.Write(bytes.Repeat([]byte("z"), 64<<10)) }() // then nothing more
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodPut, env.URL+"/2015-03-31/functions/f/code", body)
			if err != nil {
				t.Fatal(err)
			}
			creds := aws.Credentials{AccessKeyID: tt.key.ID, SecretAccessKey: tt.key.Secret}
			if err := v4.NewSigner().SignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "lambda", tt.region, tt.at); err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("no answer while the body was pending: %v", err)
			}
			defer resp.Body.Close()
			if typ := resp.Header.Get(lambdaapi.HeaderErrorType); resp.StatusCode != http.StatusForbidden || typ != tt.wantType {
				t.Fatalf("got %d %s, want 403 %s", resp.StatusCode, typ, tt.wantType)
			}
		})
	}
}
