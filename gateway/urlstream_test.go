package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdock/lambdock/gateway"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// streamPrelude is a function URL stream's prelude and its 8 NUL bytes.
const streamPrelude = `{"statusCode":418,"headers":{"X-A":"b"},"cookies":["s=1"]}` + "\x00\x00\x00\x00\x00\x00\x00\x00"

// TestFunctionURLStream checks a RESPONSE_STREAM URL against a responder that streams as an
// invoker does: the client gets the status, headers and first bytes while the responder still
// holds the rest (it sends the rest only once the test has read them), then the rest; a
// failure before the first byte is the front door's error, after it (the function's error, a
// lost message, no message for longer than the function's timeout) an aborted response.
func TestFunctionURLStream(t *testing.T) {
	// A short grace: a stream with no message for the function's timeout (3 s) plus it stalls.
	env := gatewaytest.New(t, func(c *gateway.Config) { c.InvokeGrace = 200 * time.Millisecond })
	pub := testenv.Connect(t, env.NATS.ConnectedUrl())
	gotFirst := make(chan struct{})
	env.Respond(t, func(inv msg.Invocation) msg.InvocationReply {
		if inv.StreamSubject == "" {
			return msg.InvocationReply{Error: lambdaerr.Service("the invocation asked for no stream")}
		}
		var ev urlEvent
		_ = json.Unmarshal(inv.Payload, &ev)
		var seq int64
		send := func(data string) {
			if err := pub.PublishMsg(msg.StreamChunk(inv.StreamSubject, seq, []byte(data))); err != nil {
				t.Error(err)
			}
			seq++
		}
		end := func(errType string) {
			if err := pub.PublishMsg(msg.StreamEnd(inv.StreamSubject, seq, errType, nil)); err != nil {
				t.Error(err)
			}
			_ = pub.Flush()
		}
		streamed := msg.InvocationReply{Streamed: true, ExecutedVersion: "$LATEST"}
		switch ev.RawPath {
		case "/stream":
			send(streamPrelude + "part one, ")
			select {
			case <-gotFirst:
			case <-time.After(time.Minute): // only keeps a broken gateway from hanging the test
			}
			send("part two")
			end("")
		case "/plain":
			send(`{"statusCode":201}`)
			end("")
		case "/error-before":
			return msg.InvocationReply{FunctionError: "Unhandled", Payload: []byte(`{"errorType":"E"}`)}
		case "/throttle":
			return msg.InvocationReply{Error: lambdaerr.Throttled(lambdaerr.ReasonReservedFunctionConcurrentInvocationLimit)}
		case "/timeout-before":
			end(lambdaerr.TypeSandboxTimedout)
			streamed.FunctionError = lambdaerr.TypeSandboxTimedout
		case "/timeout-after":
			send(streamPrelude + "x")
			end(lambdaerr.TypeSandboxTimedout)
			streamed.FunctionError = lambdaerr.TypeSandboxTimedout
		case "/stall":
			send(streamPrelude + "s") // and nothing more: the end is lost
		case "/gap":
			send(streamPrelude + "a")
			seq++
			send("lost before this")
			end("")
		}
		return streamed
	})
	createFunction(t, env, "streamer")
	if _, err := sdkClient(env).CreateFunctionUrlConfig(context.Background(), &lambda.CreateFunctionUrlConfigInput{
		FunctionName: aws.String("streamer"), AuthType: types.FunctionUrlAuthTypeNone, InvokeMode: types.InvokeModeResponseStream}); err != nil {
		t.Fatal(err)
	}
	get := func(path string) *http.Response {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		t.Cleanup(cancel)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.URL+"/fn/streamer"+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	t.Run("first bytes before the function finished", func(t *testing.T) {
		resp := get("/stream")
		if resp.StatusCode != http.StatusTeapot || resp.Header.Get("X-A") != "b" || resp.Header.Get("Set-Cookie") != "s=1" ||
			resp.Header.Get("Content-Type") != "" {
			t.Fatalf("%d %v", resp.StatusCode, resp.Header)
		}
		body := bufio.NewReader(resp.Body)
		first := make([]byte, len("part one, "))
		if _, err := io.ReadFull(body, first); err != nil || string(first) != "part one, " {
			t.Fatalf("first bytes %q: %v", first, err)
		}
		close(gotFirst) // only now does the responder send the rest
		rest, err := io.ReadAll(body)
		if err != nil || string(rest) != "part two" {
			t.Fatalf("rest %q: %v", rest, err)
		}
	})

	tests := []struct {
		path       string
		wantStatus int
		wantBody   string
		wantAbort  bool // the body ends without its proper end
	}{
		{path: "/plain", wantStatus: http.StatusOK, wantBody: `{"statusCode":201}`},
		{path: "/error-before", wantStatus: http.StatusBadGateway, wantBody: "Internal Server Error"},
		{path: "/throttle", wantStatus: http.StatusTooManyRequests},
		{path: "/timeout-before", wantStatus: http.StatusBadGateway},
		{path: "/timeout-after", wantStatus: http.StatusTeapot, wantBody: "x", wantAbort: true},
		{path: "/gap", wantStatus: http.StatusTeapot, wantBody: "a", wantAbort: true},
		{path: "/stall", wantStatus: http.StatusTeapot, wantBody: "s", wantAbort: true},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			resp := get(tt.path)
			body, err := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || (tt.wantBody != "" && !strings.Contains(string(body), tt.wantBody)) {
				t.Errorf("%d %q, want %d with %q", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if aborted := errors.Is(err, io.ErrUnexpectedEOF); aborted != tt.wantAbort || (err != nil && !aborted) {
				t.Errorf("reading the body: %v; want aborted %v", err, tt.wantAbort)
			}
		})
	}
}
