package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/lambdock/lambdock/gateway"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// urlEvent is the part of a function URL event the tests look at.
type urlEvent struct {
	RawPath         string            `json:"rawPath"`
	RawQueryString  string            `json:"rawQueryString"`
	Cookies         []string          `json:"cookies"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	RequestContext  struct {
		APIID      string `json:"apiId"`
		DomainName string `json:"domainName"`
		RequestID  string `json:"requestId"`
		HTTP       struct{ Method string }
	} `json:"requestContext"`
}

// bigBody is the size of the /big response: more than a socket's buffers hold.
const bigBody = 6_000_000

// urlController answers function URL invocations as a controller and function would: the
// event's path chooses the outcome; by default the result echoes the event as its body.
func urlController(inv msg.Invocation) msg.InvocationReply {
	var ev urlEvent
	if err := json.Unmarshal(inv.Payload, &ev); err != nil {
		return msg.InvocationReply{FunctionError: "Unhandled", Payload: lambdaerr.FunctionErrorPayload("BadEvent", err.Error())}
	}
	reply := msg.InvocationReply{ExecutedVersion: "$LATEST"}
	switch ev.RawPath {
	case "/throttle":
		return msg.InvocationReply{Error: lambdaerr.Throttled(lambdaerr.ReasonReservedFunctionConcurrentInvocationLimit)}
	case "/full":
		return msg.InvocationReply{Error: lambdaerr.HostCapacityExceeded(2 * time.Second)}
	case "/error":
		reply.FunctionError, reply.Payload = "Unhandled", lambdaerr.FunctionErrorPayload("ValueError", "secret detail")
	case "/timeout":
		reply.FunctionError, reply.Payload = lambdaerr.TypeSandboxTimedout, lambdaerr.FunctionErrorPayload(lambdaerr.TypeSandboxTimedout, "Task timed out")
	case "/big":
		reply.Payload, _ = json.Marshal(map[string]any{"statusCode": 200, "body": strings.Repeat("b", bigBody)})
	case "/malformed":
		reply.Payload = []byte(`{"statusCode":"teapot"}`)
	case "/binary":
		body, _ := base64.StdEncoding.DecodeString(ev.Body)
		for i, j := 0, len(body)-1; i < j; i, j = i+1, j-1 {
			body[i], body[j] = body[j], body[i]
		}
		reply.Payload, _ = json.Marshal(map[string]any{"statusCode": 201, "isBase64Encoded": true,
			"headers": map[string]string{"Content-Type": "application/octet-stream", "X-Seen-Query": ev.RawQueryString},
			"cookies": []string{"a=1; Path=/", "b=2; HttpOnly"}, "body": base64.StdEncoding.EncodeToString(body)})
	default:
		reply.Payload, _ = json.Marshal(map[string]any{"statusCode": 200, "body": string(inv.Payload)})
	}
	return reply
}

// sendURL is one raw request to the gateway with an optional Host.
func sendURL(t *testing.T, env *gatewaytest.Env, method, path, host string, header map[string]string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, env.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return roundTrip(t, req)
}

// decodeEcho reads the event urlController echoed.
func decodeEcho(t *testing.T, resp *http.Response, body []byte) urlEvent {
	t.Helper()
	var ev urlEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatalf("%d %s: %v", resp.StatusCode, body, err)
	}
	return ev
}

// createURL gives fn a URL configuration.
func createURL(t *testing.T, env *gatewaytest.Env, fn string, auth types.FunctionUrlAuthType, cors *types.Cors) string {
	t.Helper()
	out, err := sdkClient(env).CreateFunctionUrlConfig(context.Background(), &lambda.CreateFunctionUrlConfigInput{
		FunctionName: aws.String(fn), AuthType: auth, Cors: cors})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.FunctionUrl)
}

// TestFunctionURLInvoke sends requests to /fn/{name}/… and checks the event the function gets
// and the HTTP response built from its result, failures included.
func TestFunctionURLInvoke(t *testing.T) {
	env := gatewaytest.New(t)
	env.Respond(t, urlController)
	createFunction(t, env, "site")
	createFunction(t, env, "private")
	createFunction(t, env, "closed")
	createURL(t, env, "site", types.FunctionUrlAuthTypeNone, &types.Cors{
		AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"PUT"}, AllowHeaders: []string{"x-custom"},
		ExposeHeaders: []string{"x-seen-query"}, MaxAge: aws.Int32(600)})
	createURL(t, env, "private", types.FunctionUrlAuthTypeAwsIam, nil)

	t.Run("event", func(t *testing.T) {
		resp, body := sendURL(t, env, http.MethodPost, "/fn/site/a/b%20c?x=1&y=2", "", map[string]string{
			"Content-Type": "application/json", "X-Test": "yes", "Cookie": "s=1; t=2"}, []byte(`{"k":"v"}`))
		ev := decodeEcho(t, resp, body)
		if resp.StatusCode != http.StatusOK || ev.RawPath != "/a/b%20c" || ev.RawQueryString != "x=1&y=2" ||
			ev.Headers["x-test"] != "yes" || strings.Join(ev.Cookies, ",") != "s=1,t=2" || ev.Body != `{"k":"v"}` ||
			ev.IsBase64Encoded || ev.RequestContext.HTTP.Method != http.MethodPost ||
			ev.RequestContext.RequestID != resp.Header.Get("x-amzn-RequestId") || len(ev.RequestContext.APIID) != 32 {
			t.Fatalf("event %d %+v", resp.StatusCode, ev)
		}
		for _, path := range []string{"/fn/site", "/fn/site/"} {
			resp, body := sendURL(t, env, http.MethodGet, path, "", nil, nil)
			if ev := decodeEcho(t, resp, body); ev.RawPath != "/" {
				t.Errorf("%s: rawPath %q", path, ev.RawPath)
			}
		}
	})

	t.Run("another account's URL carries the account in its path", func(t *testing.T) {
		const other = "111111111111"
		ctx := context.Background()
		if err := env.DB.CreateAccount(ctx, &tenant.Account{ID: other, Name: "other", Concurrency: 10}); err != nil {
			t.Fatal(err)
		}
		client := env.ClientFor(other)
		var in lambdaapi.CreateFunctionInput
		if err := json.Unmarshal(createBody(t, "tenant-fn", nil), &in); err != nil {
			t.Fatal(err)
		}
		if _, err := client.CreateFunction(ctx, &in); err != nil {
			t.Fatal(err)
		}
		createFunction(t, env, "tenant-fn") // the admin account's namesake, without a URL
		u, err := client.CreateFunctionURL(ctx, "tenant-fn", &lambdaapi.FunctionURLConfigInput{AuthType: "NONE"})
		if err != nil || u.FunctionURL != env.URL+"/fn/"+other+"/tenant-fn/" ||
			u.FunctionArn != "arn:aws:lambda:us-east-1:"+other+":function:tenant-fn" {
			t.Fatalf("create: %+v, %v", u, err)
		}
		resp, body := sendURL(t, env, http.MethodGet, "/fn/"+other+"/tenant-fn/x/y", "", nil, nil)
		if ev := decodeEcho(t, resp, body); resp.StatusCode != http.StatusOK || ev.RawPath != "/x/y" {
			t.Fatalf("%d %+v", resp.StatusCode, ev)
		}
		if resp, body := sendURL(t, env, http.MethodGet, "/fn/tenant-fn/", "", nil, nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("the admin account has no URL for tenant-fn: %d %s", resp.StatusCode, body)
		}
		if _, err := env.Client.GetFunctionURL(ctx, "tenant-fn"); err == nil {
			t.Fatal("the admin account sees the other account's URL")
		}
	})

	t.Run("binary body, status, headers, cookies", func(t *testing.T) {
		in := []byte{0, 1, 2, 0xff, 0xfe, 'x'}
		resp, body := sendURL(t, env, http.MethodPut, "/fn/site/binary?q=%2F", "", map[string]string{
			"Content-Type": "application/octet-stream", "Origin": "https://app.example.com"}, in)
		want := []byte{'x', 0xfe, 0xff, 2, 1, 0}
		if resp.StatusCode != http.StatusCreated || !bytes.Equal(body, want) ||
			resp.Header.Get("Content-Type") != "application/octet-stream" || resp.Header.Get("X-Seen-Query") != "q=%2F" ||
			strings.Join(resp.Header.Values("Set-Cookie"), "|") != "a=1; Path=/|b=2; HttpOnly" ||
			resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
			resp.Header.Get("Access-Control-Expose-Headers") != "x-seen-query" {
			t.Fatalf("%d %v %v", resp.StatusCode, resp.Header, body)
		}
	})

	t.Run("CORS preflight is answered without the function", func(t *testing.T) {
		resp, body := sendURL(t, env, http.MethodOptions, "/fn/site/throttle", "", map[string]string{
			"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT",
			"Access-Control-Request-Headers": "X-Custom"}, nil)
		if resp.StatusCode != http.StatusOK || len(body) != 0 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
			resp.Header.Get("Access-Control-Allow-Methods") != "PUT" || resp.Header.Get("Access-Control-Max-Age") != "600" {
			t.Fatalf("preflight: %d %v %s", resp.StatusCode, resp.Header, body)
		}
		resp, _ = sendURL(t, env, http.MethodOptions, "/fn/site/", "", map[string]string{
			"Origin": "https://evil.example.com", "Access-Control-Request-Method": "PUT"}, nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("preflight from another origin: %d %v", resp.StatusCode, resp.Header)
		}
	})

	failures := []struct {
		name, method, path string
		body               []byte
		status             int
		wantBody           string
		wantRetryAfter     string
	}{
		{"no URL configured", http.MethodGet, "/fn/closed/", nil, http.StatusNotFound, `{"Message":null}`, ""},
		{"no such function", http.MethodGet, "/fn/ghost", nil, http.StatusNotFound, `{"Message":null}`, ""},
		{"function error", http.MethodGet, "/fn/site/error", nil, http.StatusBadGateway, "Internal Server Error", ""},
		{"timeout", http.MethodGet, "/fn/site/timeout", nil, http.StatusBadGateway, "Internal Server Error", ""},
		{"malformed result", http.MethodGet, "/fn/site/malformed", nil, http.StatusBadGateway, "Internal Server Error", ""},
		{"throttled", http.MethodGet, "/fn/site/throttle", nil, http.StatusTooManyRequests, `{"Message":"Rate Exceeded."}`, ""},
		{"host full", http.MethodGet, "/fn/site/full", nil, http.StatusTooManyRequests, `{"Message":"Rate Exceeded."}`, "1"},
		{"AWS_IAM without a signature", http.MethodGet, "/fn/private/", nil, http.StatusForbidden, "", ""},
		{"body over 6 MB", http.MethodPost, "/fn/site/", make([]byte, rules.MaxInvokeRequest+1), http.StatusRequestEntityTooLarge, "", ""},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := sendURL(t, env, tt.method, tt.path, "", nil, tt.body)
			if resp.StatusCode != tt.status || tt.wantBody != "" && string(body) != tt.wantBody {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, body, tt.status, tt.wantBody)
			}
			if got := resp.Header.Get("Retry-After"); got != tt.wantRetryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.wantRetryAfter)
			}
		})
	}
}

// TestFunctionURLSlowBody: a client that stops sending its body is answered 408 once the body
// timeout passes, and the function is not invoked.
func TestFunctionURLSlowBody(t *testing.T) {
	env := gatewaytest.New(t, func(c *gateway.Config) { c.URLBodyTimeout = 300 * time.Millisecond })
	seen := env.Respond(t, urlController)
	createFunction(t, env, "slow")
	createURL(t, env, "slow", types.FunctionUrlAuthTypeNone, nil)

	conn, err := net.Dial("tcp", strings.TrimPrefix(env.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /fn/slow/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part"); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(time.Minute)); err != nil { // a bound on a broken test, not an assertion
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408", resp.StatusCode)
	}
	select {
	case inv := <-seen:
		t.Fatalf("the function was invoked: %s", inv.Payload)
	default:
	}
}

// TestFunctionURLSlowReader: when a client does not read a large response, the gateway gives up
// the write once the write timeout passes (as its log says) instead of holding the handler and
// the response.
func TestFunctionURLSlowReader(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	env := gatewaytest.New(t, func(c *gateway.Config) {
		c.URLWriteTimeout = 200 * time.Millisecond
		c.Logger = zap.New(core)
	})
	env.Respond(t, urlController)
	createFunction(t, env, "big")
	createURL(t, env, "big", types.FunctionUrlAuthTypeNone, nil)

	conn, err := net.Dial("tcp", strings.TrimPrefix(env.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.(*net.TCPConn).SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, "GET /fn/big/big HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute) // a bound on a broken test, not an assertion
	for logs.FilterMessage("function URL: writing the response failed").Len() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the gateway is still writing to a client that does not read")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
