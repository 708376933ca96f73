package agent

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

const (
	statusOK         = "{\"status\":\"OK\"}\n"
	invalidRequestID = "{\"errorMessage\":\"Invalid request ID\",\"errorType\":\"InvalidRequestID\"}\n"
)

func transition(from, to string) string {
	return fmt.Sprintf("{\"errorMessage\":\"State transition from %s to %s failed for runtime. Error: State transition is not allowed\",\"errorType\":\"InvalidStateTransition\"}\n", from, to)
}

func TestHealthAndPing(t *testing.T) {
	h := startAgent(t, agentproto.Config{}, Options{})
	req, _ := http.NewRequest(http.MethodGet, "http://agent"+agentproto.PathHealth, nil)
	if r := h.do(h.channel, req); r.status != http.StatusOK {
		t.Errorf("health: %d", r.status)
	}
	if r := h.call(http.MethodGet, "/2018-06-01/ping", nil, nil); r.status != http.StatusOK || string(r.body) != "pong" {
		t.Errorf("ping: %d %q", r.status, r.body)
	}
}

// TestNextDeliversInvocation checks /next's headers and body against what the invoker sent,
// and the invoker's reply against what the runtime posted.
func TestNextDeliversInvocation(t *testing.T) {
	h := startAgent(t, agentproto.Config{FunctionVersion: "7", MemoryMB: 256}, Options{})
	payload := []byte("\x00\x01binary \xff payload\n")
	header := map[string]string{
		agentproto.HeaderFunctionArn:   "arn:aws:lambda:us-east-1:000000000000:function:fn:7",
		agentproto.HeaderTraceID:       "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
		agentproto.HeaderClientContext: `{"custom":{"k":"v"}}`,
	}
	before := time.Now()
	ch := h.invoke(invokeRequest{id: "req-1", timeoutMs: 60_000, payload: payload, header: header})
	ev := h.next()
	after := time.Now()

	if !bytes.Equal(ev.body, payload) {
		t.Errorf("/next body = %q, want %q", ev.body, payload)
	}
	want := map[string]string{
		"Lambda-Runtime-Aws-Request-Id":       "req-1",
		"Lambda-Runtime-Invoked-Function-Arn": header[agentproto.HeaderFunctionArn],
		"Lambda-Runtime-Trace-Id":             header[agentproto.HeaderTraceID],
		"Lambda-Runtime-Client-Context":       header[agentproto.HeaderClientContext],
		"Content-Type":                        "application/json",
	}
	for k, v := range want {
		if got := ev.header.Get(k); got != v {
			t.Errorf("/next %s = %q, want %q", k, got, v)
		}
	}
	deadline, err := strconv.ParseInt(ev.header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
	if err != nil {
		t.Fatalf("deadline: %v", err)
	}
	// Absolute epoch milliseconds: invoke start + 60 s, and the invoke started in this window.
	if lo, hi := before.Add(time.Minute).UnixMilli(), after.Add(time.Minute).UnixMilli(); deadline < lo || deadline > hi {
		t.Errorf("deadline %d not in [%d, %d]", deadline, lo, hi)
	}

	r := h.call(http.MethodPost, "/2018-06-01/runtime/invocation/req-1/response",
		map[string]string{"Content-Type": "text/plain"}, []byte("result bytes"))
	if r.status != http.StatusAccepted || string(r.body) != statusOK || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("/response: %d %q %q", r.status, r.body, r.header.Get("Content-Type"))
	}
	res := h.await(ch)
	if string(res.body) != "result bytes" || res.header.Get("Content-Type") != "text/plain" {
		t.Errorf("invoke reply: %q %q", res.body, res.header.Get("Content-Type"))
	}
	if et := res.header.Get(agentproto.HeaderResultErrorType); et != "" {
		t.Errorf("error type %q on success", et)
	}
	if res.header.Get(agentproto.HeaderResultInitDurationNs) == "" {
		t.Error("first invocation does not report the init duration")
	}
	if _, err := strconv.ParseInt(res.header.Get(agentproto.HeaderResultDurationNs), 10, 64); err != nil {
		t.Errorf("duration header: %v", err)
	}
	if res.header.Get(agentproto.HeaderResultReset) != "" {
		t.Error("reset reported on success")
	}
	tail := logTail(t, res)
	for _, want := range []string{"START RequestId: req-1 Version: 7\n", "END RequestId: req-1\n", "REPORT RequestId: req-1\tDuration: ", "\tMemory Size: 256 MB\t", "\tInit Duration: "} {
		if !strings.Contains(tail, want) {
			t.Errorf("log tail %q lacks %q", tail, want)
		}
	}

	// A warm invocation with only an id: no optional header, JSON by default, no init.
	ch = h.invoke(invokeRequest{id: "req-2", payload: []byte(`{"a":1}`)})
	ev = h.next()
	for _, k := range []string{"Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Trace-Id", "Lambda-Runtime-Client-Context",
		"Lambda-Runtime-Cognito-Identity", "Lambda-Runtime-Aws-Tenant-Id"} { // never set: no caller supplies them
		if v, ok := ev.header[k]; ok {
			t.Errorf("/next sets empty %s: %q", k, v)
		}
	}
	if ct := ev.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("default Content-Type = %q", ct)
	}
	h.call(http.MethodPost, "/2018-06-01/runtime/invocation/req-2/response", nil, []byte(`{}`))
	res = h.await(ch)
	if res.header.Get(agentproto.HeaderResultInitDurationNs) != "" {
		t.Error("warm invocation reports an init duration")
	}
	if strings.Contains(logTail(t, res), "Init Duration") {
		t.Error("warm REPORT has Init Duration")
	}
}

// chunkedWithTrailers is a raw HTTP/1.1 request with a chunked body and trailers, as
// aws-lambda-go sends every response.
func chunkedWithTrailers(id, errType, errBody string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: x\r\n", id)
	b.WriteString("Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n")
	b.WriteString("Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n")
	b.WriteString("5\r\npart1\r\n5\r\npart2\r\n0\r\n")
	if errType != "" {
		fmt.Fprintf(&b, "Lambda-Runtime-Function-Error-Type: %s\r\n", errType)
		fmt.Fprintf(&b, "Lambda-Runtime-Function-Error-Body: %s\r\n", base64.StdEncoding.EncodeToString([]byte(errBody)))
	}
	b.WriteString("\r\n")
	return b.String()
}

// TestPostResults runs one invocation per case and checks what the runtime is told and what
// the invoker gets.
func TestPostResults(t *testing.T) {
	oversize := bytes.Repeat([]byte("x"), rules.MaxRuntimePayload+1000)
	errCause := `{"errorMessage":"m","errorType":"T","stackTrace":["a"],"errorCause":{"paths":[]}}`
	tests := []struct {
		name string
		// post plays the runtime after it got the event with request id id.
		post       func(h *harness, id string) reply
		wantStatus int
		wantBody   string
		// What the invoker gets.
		wantErrType string
		wantPayload string
	}{
		{
			name: "response",
			post: func(h *harness, id string) reply {
				return h.call("POST", "/2018-06-01/runtime/invocation/"+id+"/response", nil, []byte(`{"ok":true}`))
			},
			wantStatus: 202, wantBody: statusOK, wantPayload: `{"ok":true}`,
		},
		{
			name: "error with type",
			post: func(h *harness, id string) reply {
				return h.call("POST", "/2018-06-01/runtime/invocation/"+id+"/error",
					map[string]string{"Lambda-Runtime-Function-Error-Type": "Function.Bad", "Content-Type": "application/json"},
					[]byte(`{"errorMessage":"bad","errorType":"Bad"}`))
			},
			wantStatus: 202, wantBody: statusOK, wantErrType: "Function.Bad", wantPayload: `{"errorMessage":"bad","errorType":"Bad"}`,
		},
		{
			name: "error without type is Unhandled, body verbatim",
			post: func(h *harness, id string) reply {
				return h.call("POST", "/2018-06-01/runtime/invocation/"+id+"/error", nil, []byte(`not even json`))
			},
			wantStatus: 202, wantBody: statusOK, wantErrType: "Unhandled", wantPayload: `not even json`,
		},
		{
			name: "error cause is stripped",
			post: func(h *harness, id string) reply {
				return h.call("POST", "/2018-06-01/runtime/invocation/"+id+"/error",
					map[string]string{"Content-Type": "application/vnd.aws.lambda.error.cause+json"}, []byte(errCause))
			},
			wantStatus: 202, wantBody: statusOK, wantErrType: "Unhandled",
			wantPayload: `{"errorMessage":"m","errorType":"T","stackTrace":["a"]}`,
		},
		{
			name: "wrong request id",
			post: func(h *harness, id string) reply {
				if r := h.call("POST", "/2018-06-01/runtime/invocation/not-"+id+"/response", nil, []byte(`1`)); r.status != 400 || string(r.body) != invalidRequestID {
					h.t.Errorf("wrong id on /response: %d %q", r.status, r.body)
				}
				if r := h.call("POST", "/2018-06-01/runtime/invocation/not-"+id+"/error", nil, []byte(`1`)); r.status != 400 || string(r.body) != invalidRequestID {
					h.t.Errorf("wrong id on /error: %d %q", r.status, r.body)
				}
				return h.call("POST", "/2018-06-01/runtime/invocation/"+id+"/response", nil, []byte(`"right"`))
			},
			wantStatus: 202, wantBody: statusOK, wantPayload: `"right"`,
		},
		{
			name: "second response",
			post: func(h *harness, id string) reply {
				h.call("POST", "/2018-06-01/runtime/invocation/"+id+"/response", nil, []byte(`"first"`))
				return h.call("POST", "/2018-06-01/runtime/invocation/"+id+"/response", nil, []byte(`"second"`))
			},
			wantStatus: 403, wantBody: transition("RuntimeResponseSentState", "InvocationResponse"), wantPayload: `"first"`,
		},
		{
			name: "error after response",
			post: func(h *harness, id string) reply {
				h.call("POST", "/2018-06-01/runtime/invocation/"+id+"/response", nil, []byte(`"first"`))
				return h.call("POST", "/2018-06-01/runtime/invocation/"+id+"/error", nil, []byte(`{}`))
			},
			wantStatus: 403, wantBody: transition("RuntimeResponseSentState", "InvocationErrorResponse"), wantPayload: `"first"`,
		},
		{
			name: "init error while running",
			post: func(h *harness, id string) reply {
				if r := h.call("POST", "/2018-06-01/runtime/init/error", nil, []byte(`{}`)); r.status != 403 || string(r.body) != transition("Running", "InitError") {
					h.t.Errorf("/init/error while running: %d %q", r.status, r.body)
				}
				return h.call("POST", "/2018-06-01/runtime/invocation/"+id+"/response", nil, []byte(`"fine"`))
			},
			wantStatus: 202, wantBody: statusOK, wantPayload: `"fine"`,
		},
		{
			name: "oversize response",
			post: func(h *harness, id string) reply {
				return h.call("POST", "/2018-06-01/runtime/invocation/"+id+"/response", nil, oversize)
			},
			wantStatus: 413, wantBody: "{\"errorMessage\":\"Exceeded maximum allowed payload size (6291556 bytes).\",\"errorType\":\"RequestEntityTooLarge\"}\n",
			wantErrType: "Function.ResponseSizeTooLarge", wantPayload: string(lambdaerr.ResponseTooLarge(int64(len(oversize)))),
		},
		{
			name: "bad response mode",
			post: func(h *harness, id string) reply {
				return h.call("POST", "/2018-06-01/runtime/invocation/"+id+"/response",
					map[string]string{"Lambda-Runtime-Function-Response-Mode": "buffered-ish"}, []byte(`{}`))
			},
			wantStatus: 400, wantBody: "{\"errorMessage\":\"Invalid function response mode\",\"errorType\":\"InvalidFunctionResponseMode\"}\n",
			wantErrType: "Runtime.InvalidResponseModeHeader",
		},
		{
			name: "streaming mode is buffered",
			post: func(h *harness, id string) reply {
				return h.call("POST", "/2018-06-01/runtime/invocation/"+id+"/response",
					map[string]string{"Lambda-Runtime-Function-Response-Mode": "streaming"}, []byte(`streamed`))
			},
			wantStatus: 202, wantBody: statusOK, wantPayload: `streamed`,
		},
		{
			name: "chunked with empty trailers",
			post: func(h *harness, id string) reply {
				return h.raw(chunkedWithTrailers(id, "", ""))
			},
			wantStatus: 202, wantBody: statusOK, wantPayload: "part1part2",
		},
		{
			name: "chunked with error trailers",
			post: func(h *harness, id string) reply {
				return h.raw(chunkedWithTrailers(id, "Runtime.ReadError", `{"errorMessage":"read failed","errorType":"ReadError"}`))
			},
			wantStatus: 202, wantBody: statusOK,
			wantErrType: "Runtime.ReadError", wantPayload: `{"errorMessage":"read failed","errorType":"ReadError"}`,
		},
	}
	h := startAgent(t, agentproto.Config{}, Options{})
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			id := fmt.Sprintf("req-%d", i)
			ch := h.invoke(invokeRequest{id: id, payload: []byte(`{}`)})
			h.next()
			r := tt.post(h, id)
			if r.status != tt.wantStatus || string(r.body) != tt.wantBody {
				t.Errorf("runtime got %d %q, want %d %q", r.status, r.body, tt.wantStatus, tt.wantBody)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("runtime got Content-Type %q", ct)
			}
			res := h.await(ch)
			if et := res.header.Get(agentproto.HeaderResultErrorType); et != tt.wantErrType {
				t.Errorf("invoker got error type %q, want %q", et, tt.wantErrType)
			}
			if tt.wantPayload != "" && string(res.body) != tt.wantPayload {
				t.Errorf("invoker got %q, want %q", trunc(res.body), trunc([]byte(tt.wantPayload)))
			}
			if tt.wantErrType != "" && res.header.Get("Content-Type") != "application/json" {
				t.Errorf("error reply Content-Type %q", res.header.Get("Content-Type"))
			}
		})
	}
}

func trunc(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// raw sends a hand-written HTTP/1.1 request to the Runtime API.
func (h *harness) raw(request string) reply {
	h.t.Helper()
	conn, err := net.DialTimeout("tcp", h.agent.RuntimeAPIAddr(), patience)
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, request); err != nil {
		h.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: body}
}

func TestInitErrorDuringBoot(t *testing.T) {
	h := startAgent(t, agentproto.Config{}, Options{})
	first := h.bootPid
	body := `{"errorMessage":"cannot load handler","errorType":"Runtime.NoSuchHandler"}`
	r := h.call("POST", "/2018-06-01/runtime/init/error", map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.NoSuchHandler"}, []byte(body))
	if r.status != 202 || string(r.body) != statusOK {
		t.Fatalf("/init/error in init: %d %q", r.status, r.body)
	}
	// The next invocation gets the init error verbatim, without re-running init.
	res := h.await(h.invoke(invokeRequest{id: "after-init-error", payload: []byte(`{}`)}))
	if string(res.body) != body || res.header.Get(agentproto.HeaderResultErrorType) != "Runtime.NoSuchHandler" {
		t.Errorf("invoke after init error: %q %q", res.body, res.header.Get(agentproto.HeaderResultErrorType))
	}
	assertDead(t, first)
	// The one after re-runs init in a new runtime process.
	h.assertReinits("reinit", first)
}

func TestStateErrorsOutsideInvocation(t *testing.T) {
	h := startAgent(t, agentproto.Config{}, Options{})
	h.roundTrip("one")
	tests := []struct {
		name, path string
		wantStatus int
		wantBody   string
	}{
		{"init error after init", "/2018-06-01/runtime/init/error", 403, transition("RuntimeResponseSentState", "InitError")},
		{"response for a finished invocation", "/2018-06-01/runtime/invocation/one/response", 403, transition("RuntimeResponseSentState", "InvocationResponse")},
		{"response for an unknown id", "/2018-06-01/runtime/invocation/nope/response", 400, invalidRequestID},
		{"error for an unknown id", "/2018-06-01/runtime/invocation/nope/error", 400, invalidRequestID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			r := h.call("POST", tt.path, nil, []byte(`{}`))
			if r.status != tt.wantStatus || string(r.body) != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", r.status, r.body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestTelemetryAndLogsStubs(t *testing.T) {
	h := startAgent(t, agentproto.Config{}, Options{})
	tests := []struct{ path, want string }{
		{"/2022-07-01/telemetry", "{\"errorMessage\":\"Telemetry API is not supported\",\"errorType\":\"Telemetry.NotSupported\"}\n"},
		{"/2020-08-15/logs", "{\"errorMessage\":\"Logs API is not supported\",\"errorType\":\"Logs.NotSupported\"}\n"},
	}
	for _, tt := range tests {
		r := h.call("PUT", tt.path, map[string]string{"Lambda-Extension-Identifier": "x"}, []byte(`{"schemaVersion":"2022-07-01"}`))
		if r.status != 202 || string(r.body) != tt.want {
			t.Errorf("PUT %s: %d %q", tt.path, r.status, r.body)
		}
	}
}

func TestExtensionsAPI(t *testing.T) {
	h := startAgent(t, agentproto.Config{FunctionName: "my-fn", FunctionVersion: "3", Handler: "bootstrap"}, Options{})
	register := func(name, events string) reply {
		return h.call("POST", "/2020-01-01/extension/register", map[string]string{"Lambda-Extension-Name": name}, []byte(events))
	}
	// During init (the runtime has not called /next yet) registration is open.
	r := register("watcher", `{"events":["INVOKE"]}`)
	id := r.header.Get("Lambda-Extension-Identifier")
	if r.status != 200 || string(r.body) != "{\"functionName\":\"my-fn\",\"functionVersion\":\"3\",\"handler\":\"bootstrap\"}\n" || len(id) != 36 {
		t.Fatalf("register: %d %q id %q", r.status, r.body, id)
	}
	silent := register("silent", `{"events":[]}`).header.Get("Lambda-Extension-Identifier")
	for _, tt := range []struct {
		name, ext, events string
		want              string
	}{
		{"same name", "watcher", `{"events":[]}`, "{\"errorMessage\":\"Extension with this name already registered\",\"errorType\":\"Extension.InvalidExtensionState\"}\n"},
		{"bad event", "other", `{"events":["NOPE"]}`, "{\"errorMessage\":\"NOPE: invalid event type\",\"errorType\":\"Extension.InvalidEventType\"}\n"},
		{"no name", "", `{"events":[]}`, "{\"errorMessage\":\"Empty extension name\",\"errorType\":\"Extension.InvalidExtensionName\"}\n"},
	} {
		if r := register(tt.ext, tt.events); r.status != 403 || string(r.body) != tt.want {
			t.Errorf("register %s: %d %q", tt.name, r.status, r.body)
		}
	}

	// The extension's /event/next blocks until the invocation.
	events := h.callAsync("GET", "/2020-01-01/extension/event/next", map[string]string{"Lambda-Extension-Identifier": id})
	silentNext := h.callAsync("GET", "/2020-01-01/extension/event/next", map[string]string{"Lambda-Extension-Identifier": silent})
	ch := h.invoke(invokeRequest{id: "ext-req", payload: []byte(`{}`),
		header: map[string]string{agentproto.HeaderFunctionArn: "arn:fn", agentproto.HeaderTraceID: "Root=1-abc"}})
	ev := h.next()
	deadline := ev.header.Get("Lambda-Runtime-Deadline-Ms")
	r = <-events
	want := `{"eventType":"INVOKE","deadlineMs":` + deadline + `,"requestId":"ext-req","invokedFunctionArn":"arn:fn","tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1-abc"}}`
	if r.status != 200 || string(r.body) != want || len(r.header.Get("Lambda-Extension-Event-Identifier")) != 36 {
		t.Errorf("extension event: %d %q\nwant %q", r.status, r.body, want)
	}
	h.call("POST", "/2018-06-01/runtime/invocation/ext-req/response", nil, []byte(`{}`))
	h.await(ch)

	select {
	case r := <-silentNext:
		t.Errorf("an extension with no events got %d %q", r.status, r.body)
	default:
	}
	for _, tt := range []struct {
		name   string
		header map[string]string
		want   string
	}{
		{"missing id", nil, "{\"errorMessage\":\"Missing Lambda-Extension-Identifier header\",\"errorType\":\"Extension.MissingExtensionIdentifier\"}\n"},
		{"invalid id", map[string]string{"Lambda-Extension-Identifier": "nope"}, "{\"errorMessage\":\"Invalid Lambda-Extension-Identifier\",\"errorType\":\"Extension.InvalidExtensionIdentifier\"}\n"},
		{"unknown id", map[string]string{"Lambda-Extension-Identifier": "00000000-0000-4000-8000-000000000000"},
			"{\"errorMessage\":\"Unknown extension 00000000-0000-4000-8000-000000000000\",\"errorType\":\"Extension.UnknownExtensionIdentifier\"}\n"},
	} {
		if r := h.call("GET", "/2020-01-01/extension/event/next", tt.header, nil); r.status != 403 || string(r.body) != tt.want {
			t.Errorf("event/next %s: %d %q", tt.name, r.status, r.body)
		}
	}
	// After init, registration is closed.
	if r := register("late", `{"events":[]}`); r.status != 403 ||
		string(r.body) != "{\"errorMessage\":\"Extension registration closed already\",\"errorType\":\"Extension.RegistrationClosed\"}\n" {
		t.Errorf("late register: %d %q", r.status, r.body)
	}
	for _, path := range []string{"/2020-01-01/extension/init/error", "/2020-01-01/extension/exit/error"} {
		r := h.call("POST", path, map[string]string{"Lambda-Extension-Identifier": id, "Lambda-Extension-Function-Error-Type": "Extension.Crash"}, []byte(`{}`))
		if r.status != 202 || string(r.body) != statusOK {
			t.Errorf("%s: %d %q", path, r.status, r.body)
		}
	}
}

// TestIdleWaitsForNext checks that the environment stays busy after the response until the
// runtime calls /next again.
func TestIdleWaitsForNext(t *testing.T) {
	h := startAgent(t, agentproto.Config{}, Options{})
	ch := h.invoke(invokeRequest{id: "busy", payload: []byte(`{}`)})
	h.next()
	h.call("POST", "/2018-06-01/runtime/invocation/busy/response", nil, []byte(`{}`))
	h.await(ch)

	idle := h.idle()
	select {
	case st := <-idle:
		t.Fatalf("/idle returned %d before the runtime called /next", st)
	case <-time.After(200 * time.Millisecond):
	}
	// The runtime's next /next blocks (nothing to do); it is what frees the environment.
	h.callAsync("GET", "/2018-06-01/runtime/invocation/next", nil)
	select {
	case st := <-idle:
		if st != http.StatusOK {
			t.Errorf("/idle: %d", st)
		}
	case <-time.After(patience):
		t.Fatal("/idle never returned after /next")
	}
}

func TestTimeoutResetsRuntime(t *testing.T) {
	h := startAgent(t, agentproto.Config{}, Options{})
	pid := h.bootPid
	ch := h.invoke(invokeRequest{id: "slow", timeoutMs: 1000, payload: []byte(`{}`)})
	h.next() // take the event and never answer
	res := h.await(ch)

	want := `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: slow Error: Task timed out after 1.00 seconds"}`
	if string(res.body) != want || res.header.Get(agentproto.HeaderResultErrorType) != "Sandbox.Timedout" {
		t.Errorf("timeout reply: %q %q", res.body, res.header.Get(agentproto.HeaderResultErrorType))
	}
	if res.header.Get(agentproto.HeaderResultReset) != "true" {
		t.Error("timeout did not report a reset")
	}
	assertDead(t, pid)
	tail := logTail(t, res)
	for _, want := range []string{" slow Task timed out after 1.00 seconds\n", "END RequestId: slow\n", "\tStatus: timeout"} {
		if !strings.Contains(tail, want) {
			t.Errorf("log tail %q lacks %q", tail, want)
		}
	}
	// A late answer from the killed runtime is refused.
	if r := h.call("POST", "/2018-06-01/runtime/invocation/slow/response", nil, []byte(`{}`)); r.status == 202 {
		t.Error("response accepted after the reset")
	}
	if st := <-h.idle(); st != http.StatusOK {
		t.Errorf("/idle after reset: %d", st)
	}
	// The next invocation re-inits inside its own time.
	h.assertReinits("after-timeout", pid)
}

func TestInitTimeout(t *testing.T) {
	h := startAgent(t, agentproto.Config{InitTimeout: 300 * time.Millisecond}, Options{})
	pid := h.bootPid
	// The runtime never calls /next: boot init times out and the runtime is killed; the first
	// invocation re-inits within its own timeout.
	res := h.await(h.invoke(invokeRequest{id: "cold", timeoutMs: 1000, payload: []byte(`{}`)}))
	if res.header.Get(agentproto.HeaderResultErrorType) != "Sandbox.Timedout" || res.header.Get(agentproto.HeaderResultReset) != "true" {
		t.Errorf("invoke after init timeout: %q %q", res.body, res.header.Get(agentproto.HeaderResultErrorType))
	}
	if res.header.Get(agentproto.HeaderResultInitDurationNs) == "" {
		t.Error("the re-init is not reported")
	}
	assertDead(t, pid)
	if !strings.Contains(logTail(t, res), "\tInit Duration: ") {
		t.Errorf("REPORT lacks the init: %q", logTail(t, res))
	}
}

func TestInvalidEntrypoint(t *testing.T) {
	h := startAgent(t, agentproto.Config{}, Options{Bootstraps: []string{"/nonexistent/bootstrap", "/nonexistent/opt/bootstrap"}})
	for _, id := range []string{"first", "second"} {
		res := h.await(h.invoke(invokeRequest{id: id, payload: []byte(`{}`)}))
		want := `{"errorType":"Runtime.InvalidEntrypoint","errorMessage":"RequestId: ` + id +
			` Error: Couldn't find valid bootstrap(s): [/nonexistent/bootstrap /nonexistent/opt/bootstrap]"}`
		if string(res.body) != want || res.header.Get(agentproto.HeaderResultErrorType) != "Runtime.InvalidEntrypoint" {
			t.Errorf("%s: %q %q", id, res.body, res.header.Get(agentproto.HeaderResultErrorType))
		}
	}
}

func TestChannelRejectsBadRequests(t *testing.T) {
	h := startAgent(t, agentproto.Config{}, Options{})
	for _, hdr := range []map[string]string{
		{agentproto.HeaderTimeoutMs: "1000"},
		{agentproto.HeaderRequestID: "x", agentproto.HeaderTimeoutMs: "soon"},
	} {
		req, _ := http.NewRequest(http.MethodPost, "http://agent"+agentproto.PathInvoke, strings.NewReader(`{}`))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if r := h.do(h.channel, req); r.status != http.StatusBadRequest {
			t.Errorf("%v: status %d", hdr, r.status)
		}
	}
}

// TestShutdownEvent checks that on agent shutdown an extension subscribed to SHUTDOWN gets the
// event and the runtime gets SIGTERM (the fake runtime, a sleep, dies of it).
func TestShutdownEvent(t *testing.T) {
	h := startAgent(t, agentproto.Config{}, Options{})
	r := h.call("POST", "/2020-01-01/extension/register", map[string]string{"Lambda-Extension-Name": "guard"}, []byte(`{"events":["SHUTDOWN"]}`))
	id := r.header.Get("Lambda-Extension-Identifier")
	if r.status != 200 {
		t.Fatalf("register: %d %q", r.status, r.body)
	}
	events := h.callAsync("GET", "/2020-01-01/extension/event/next", map[string]string{"Lambda-Extension-Identifier": id})
	h.roundTrip("before-shutdown")
	h.stopAgent()
	ev := <-events
	var got struct {
		EventType      string `json:"eventType"`
		DeadlineMs     int64  `json:"deadlineMs"`
		ShutdownReason string `json:"shutdownReason"`
	}
	if err := json.Unmarshal(ev.body, &got); ev.status != 200 || err != nil || got.EventType != "SHUTDOWN" || got.ShutdownReason != "spindown" || got.DeadlineMs == 0 {
		t.Errorf("shutdown event: %d %q", ev.status, ev.body)
	}
	assertDead(t, h.bootPid)
}
