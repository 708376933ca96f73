package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// nodeFlavour is one module system of the Node.js test functions (e2e/testdata/node/<dir>).
type nodeFlavour struct {
	name   string // subtest name
	dir    string // testdata/node/<dir>
	ext    string // the extension of its files
	module string // what its echo reports as "module"
	// traceFile is how a stack frame in its index file reads (ES modules are file: URLs).
	traceFile string
}

var nodeFlavours = []nodeFlavour{
	{name: "CommonJS", dir: "cjs", ext: ".js", module: "cjs", traceFile: "(/var/task/index.js:"},
	{name: "ESM", dir: "esm", ext: ".mjs", module: "esm", traceFile: "(file:///var/task/index.mjs:"},
}

// nodeError is the JSON Lambda's Node.js runtime returns for an error.
type nodeError struct {
	ErrorType    string   `json:"errorType"`
	ErrorMessage string   `json:"errorMessage"`
	Trace        []string `json:"trace"`
}

// TestNodeRuntime deploys the Node.js test functions through the CLI's code path onto one
// lambdockd and checks, for CommonJS and for ES modules, what Lambda's Node.js runtime gives:
// results with every context field, the error JSON of a throw and of a result JSON cannot
// encode, the console's log lines, warm state, an uncaught exception, callback handlers,
// timeouts and the init errors; then a "type": "module" package, a streaming handler behind a
// function URL, and the nodejs18.x runtime.
func TestNodeRuntime(t *testing.T) {
	need(t)
	l := start(t, newConfig(dataDir(t), "e2e-node-"+randomID()))
	for _, fl := range nodeFlavours {
		t.Run(fl.name, func(t *testing.T) { testNodeFlavour(t, l, fl) })
	}

	t.Run(`a .js file in a "type": "module" package, in a subdirectory, is an ES module`, func(t *testing.T) {
		deployNode(t, l, "esmpkg", nil)
		r := l.invoke(t, "node-esmpkg", `{"k":1}`)
		if r.status != http.StatusOK || string(r.body) != `{"kind":"esm-package","event":{"k":1}}` {
			t.Fatalf("invoke: %v", r)
		}
	})

	t.Run("a streaming handler streams through a function URL", func(t *testing.T) {
		deployNode(t, l, "stream", nil)
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		u, err := l.client.CreateFunctionURL(ctx, "node-stream", &lambdaapi.FunctionURLConfigInput{
			AuthType: lambdaapi.AuthTypeNone, InvokeMode: lambdaapi.InvokeModeResponseStream})
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.FunctionURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-Stream") != "node" || resp.Header.Get("Content-Type") != "text/plain" {
			t.Fatalf("%d %v: not the handler's status and headers", resp.StatusCode, resp.Header)
		}
		first := make([]byte, len("first;"))
		if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "first;" {
			t.Fatalf("first chunk %q: %v", first, err)
		}
		got := time.Now()
		rest, err := io.ReadAll(resp.Body)
		// The first chunk came while the handler still waited to write the last one.
		if err != nil || string(rest) != "last" || time.Since(got) < 200*time.Millisecond {
			t.Fatalf("rest %q (%v) %s after the first chunk", rest, err, time.Since(got))
		}
		// Invoke buffers the same response: the prelude, eight NUL bytes, the body.
		r := l.invoke(t, "node-stream", `{}`)
		if want := `{"statusCode":201,"headers":{"Content-Type":"text/plain","X-Stream":"node"}}` +
			strings.Repeat("\x00", 8) + "first;last"; r.status != http.StatusOK || string(r.body) != want {
			t.Fatalf("Invoke: %v", r)
		}
	})

	t.Run("nodejs18.x runs the same function", func(t *testing.T) {
		deployNode(t, l, "cjs", &cli.Project{Name: "node18-cjs", Runtime: "nodejs18.x"})
		r := l.invoke(t, "node18-cjs", `{"op":"count"}`)
		var c counted
		r.decode(t, &c)
		if r.status != http.StatusOK || c.Count != 1 {
			t.Fatalf("count: %v", r)
		}
		r = l.invoke(t, "node18-cjs", `{"op":"throw","what":"v18"}`)
		var fe nodeError
		r.decode(t, &fe)
		if r.header.Get(lambdaapi.HeaderFunctionError) != lambdaerr.TypeUnhandled || fe.ErrorType != "TypeError" ||
			fe.ErrorMessage != "bad v18" {
			t.Fatalf("throw: %v", r)
		}
	})
}

// testNodeFlavour runs the checks of one module system.
func testNodeFlavour(t *testing.T, l *lambdockd, fl nodeFlavour) {
	fn := "node-" + fl.dir
	var arn string
	t.Run("echo returns the event and every context field", func(t *testing.T) {
		arn = deployNode(t, l, fl.dir, nil).FunctionArn
		clientContext := `{"client":{"installation_id":"i-1"},"custom":{"k":"v"},"env":{"platform":"test"}}`
		r := l.invokeWith(t, fn, `{"op":"echo","n":[1,2]}`, map[string]string{
			lambdaapi.HeaderClientContext: base64.StdEncoding.EncodeToString([]byte(clientContext))})
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != "" {
			t.Fatalf("invoke: %v", r)
		}
		var got struct {
			Event     json.RawMessage `json:"event"`
			Context   json.RawMessage `json:"context"`
			Remaining int             `json:"remaining"`
			Module    string          `json:"module"`
		}
		r.decode(t, &got)
		if string(got.Event) != `{"op":"echo","n":[1,2]}` || got.Module != fl.module {
			t.Fatalf("event or module: %s", r.body)
		}
		if got.Remaining <= 0 || got.Remaining > 3000 {
			t.Errorf("getRemainingTimeInMillis() = %d, want in (0, 3000]", got.Remaining)
		}
		// The context serialises as on Lambda: these fields, in this order, memoryLimitInMB a
		// string; the client context as the caller sent it; no identity without Cognito.
		var ctx struct {
			LogStreamName string `json:"logStreamName"`
		}
		if err := json.Unmarshal(got.Context, &ctx); err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]+$`).MatchString(ctx.LogStreamName) {
			t.Errorf("logStreamName %q", ctx.LogStreamName)
		}
		requestID := r.header.Get(lambdaapi.HeaderRequestID)
		want := fmt.Sprintf(`{"callbackWaitsForEmptyEventLoop":true,"functionVersion":"$LATEST",`+
			`"functionName":%q,"memoryLimitInMB":"%d","logGroupName":"/aws/lambda/%s","logStreamName":%q,`+
			`"clientContext":%s,"invokedFunctionArn":%q,"awsRequestId":%q}`,
			fn, memoryMB, fn, ctx.LogStreamName, clientContext, arn, requestID)
		if string(got.Context) != want || requestID == "" || !strings.HasSuffix(arn, ":function:"+fn) {
			t.Errorf("context\n got %s\nwant %s", got.Context, want)
		}
	})

	t.Run("a thrown TypeError is Lambda's error JSON", func(t *testing.T) {
		r := l.invoke(t, fn, `{"op":"throw","what":"input"}`)
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != lambdaerr.TypeUnhandled {
			t.Fatalf("invoke: %v", r)
		}
		// Byte for byte the shape of Lambda's: errorType, errorMessage, trace (not stackTrace),
		// the trace the stack's lines.
		prefix := `{"errorType":"TypeError","errorMessage":"bad input","trace":["TypeError: bad input","    at `
		var fe nodeError
		r.decode(t, &fe)
		if !bytes.HasPrefix(r.body, []byte(prefix)) || len(fe.Trace) < 2 || !strings.Contains(fe.Trace[1], fl.traceFile) {
			t.Fatalf("error body: %s", r.body)
		}
	})

	t.Run("a result JSON cannot encode is an error", func(t *testing.T) {
		r := l.invoke(t, fn, `{"op":"circular"}`)
		prefix := `{"errorType":"Error","errorMessage":"Unable to stringify response body","trace":["Error: Unable to stringify response body",`
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != lambdaerr.TypeUnhandled ||
			!bytes.HasPrefix(r.body, []byte(prefix)) {
			t.Fatalf("invoke: %v", r)
		}
	})

	t.Run("a result JSON encodes as nothing is null", func(t *testing.T) {
		r := l.invoke(t, fn, `{"op":"function"}`)
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != "" || string(r.body) != "null" {
			t.Fatalf("invoke: %v", r)
		}
	})

	t.Run("console writes Lambda's log lines", func(t *testing.T) {
		r := l.invokeWith(t, fn, `{"op":"log"}`, map[string]string{lambdaapi.HeaderLogType: lambdaapi.LogTypeTail})
		tail, err := base64.StdEncoding.DecodeString(r.header.Get(lambdaapi.HeaderLogResult))
		if r.status != http.StatusOK || string(r.body) != `"logged"` || err != nil {
			t.Fatalf("invoke: %v (log tail: %v)", r, err)
		}
		// <ISO timestamp>\t<request id>\t<LEVEL>\t<util.format of the arguments>, one line per
		// call: the message's own newlines become carriage returns.
		line := `(?m)^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\t` + regexp.QuoteMeta(r.header.Get(lambdaapi.HeaderRequestID)) + `\t`
		for _, want := range []string{
			line + `INFO\thello world \{ a: 1 \}$`,
			line + `WARN\ttwo\rlines$`,
			line + `ERROR\tRangeError: logged\r    at [^\n]*$`,
		} {
			if !regexp.MustCompile(want).Match(tail) {
				t.Errorf("no line matching %q in the log tail:\n%q", want, tail)
			}
		}
	})

	t.Run("module-level state persists across warm invocations", func(t *testing.T) {
		var pid int
		for i := 1; i <= 5; i++ {
			r := l.invoke(t, fn, `{"op":"count"}`)
			var c counted
			r.decode(t, &c)
			if r.status != http.StatusOK || c.Count != i || (i > 1 && c.PID != pid) {
				t.Fatalf("invoke %d: %v", i, r)
			}
			pid = c.PID
		}
	})

	t.Run("an uncaught exception fails the invocation and restarts the runtime", func(t *testing.T) {
		r := l.invoke(t, fn, `{"op":"crash"}`)
		prefix := `{"errorType":"Error","errorMessage":"crashed in a timer","trace":["Error: crashed in a timer","    at `
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != lambdaerr.TypeUnhandled ||
			!bytes.HasPrefix(r.body, []byte(prefix)) {
			t.Fatalf("invoke: %v", r)
		}
		r = l.invoke(t, fn, `{"op":"count"}`)
		var c counted
		r.decode(t, &c)
		if r.status != http.StatusOK || c.Count != 1 {
			t.Fatalf("after the crash, module-level code ran again (count 1): %v", r)
		}
	})

	t.Run("a callback handler answers through the callback", func(t *testing.T) {
		cb := fn + "-callback"
		deployNode(t, l, fl.dir, &cli.Project{Name: cb, Handler: "callback.handler"})
		for _, c := range []struct{ event, want string }{
			// callbackWaitsForEmptyEventLoop: the answer waits for the timer the handler left.
			{`{"op":"callback"}`, `{"via":"callback","timerRan":true}`},
			{`{"op":"callback","wait":false}`, `{"via":"callback","timerRan":false}`},
			{`{"op":"succeed"}`, `{"via":"succeed","timerRan":false}`},
		} {
			if r := l.invoke(t, cb, c.event); r.status != http.StatusOK || string(r.body) != c.want {
				t.Errorf("%s: got %v, want %s", c.event, r, c.want)
			}
		}
		r := l.invoke(t, cb, `{"op":"callback-error"}`)
		prefix := `{"errorType":"RangeError","errorMessage":"callback failed","trace":["RangeError: callback failed","    at `
		if r.header.Get(lambdaapi.HeaderFunctionError) != lambdaerr.TypeUnhandled || !bytes.HasPrefix(r.body, []byte(prefix)) {
			t.Errorf("callback(err): %v", r)
		}
		r = l.invoke(t, cb, `{"op":"other"}`)
		if want := `{"errorType":"string","errorMessage":"unknown op other","trace":[]}`; string(r.body) != want {
			t.Errorf("callback(string): got %s, want %s", r.body, want)
		}
	})

	t.Run("sleeping past the timeout gives Sandbox.Timedout, the next call succeeds", func(t *testing.T) {
		slow := fn + "-timeout"
		// 1,024 MB (0.58 vCPU): the call after the timeout re-initialises Node.js inside the same
		// 1 s, which at 128 MB's 0.07 vCPU quota takes most of that second on a busy host.
		deployNode(t, l, fl.dir, &cli.Project{Name: slow, Timeout: 1, Memory: 1024})
		r := l.invoke(t, slow, `{"op":"sleep","ms":3000}`)
		var fe struct{ ErrorType, ErrorMessage string }
		r.decode(t, &fe)
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != lambdaerr.TypeUnhandled ||
			fe.ErrorType != lambdaerr.TypeSandboxTimedout || !strings.HasSuffix(fe.ErrorMessage, "Task timed out after 1.00 seconds") {
			t.Fatalf("timed-out call: %v", r)
		}
		r = l.invoke(t, slow, `{"op":"count"}`)
		var c counted
		r.decode(t, &c)
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != "" || c.Count != 1 {
			t.Fatalf("call after the timeout (a new environment, count 1): %v", r)
		}
	})

	t.Run("init errors", func(t *testing.T) {
		for _, c := range []struct {
			name, handler, errorType, errorMessage string
		}{
			{"missing module", "missing.handler", "Runtime.ImportModuleError",
				"Error: Cannot find module 'missing'\nRequire stack:\n- /var/runtime/index.mjs"},
			{"missing dependency", "deps.handler", "Runtime.ImportModuleError", map[string]string{
				"cjs": "Error: Cannot find module 'not-installed'\nRequire stack:\n- /var/task/deps.js\n- /var/runtime/index.mjs",
				"esm": "Error: Cannot find package 'not-installed' imported from /var/task/deps.mjs",
			}[fl.dir]},
			{"missing export", "index.nope", "Runtime.HandlerNotFound", "index.nope is undefined or not exported"},
			{"syntax error", "broken.handler", "Runtime.UserCodeSyntaxError", "SyntaxError: Unexpected token '}'"},
			{"malformed handler", "index", "Runtime.MalformedHandlerName", "Bad handler"},
			{"module throws", "throws.handler", "Error", "config missing"},
		} {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel() // each its own function; the cold starts overlap
				name := fmt.Sprintf("%s-init-%s", fn, strings.ReplaceAll(c.name, " ", "-"))
				deployNode(t, l, fl.dir, &cli.Project{Name: name, Handler: c.handler})
				// Init runs again for the next event after a failed one, and fails the same way.
				for range 2 {
					r := l.invoke(t, name, `{"op":"echo"}`)
					var fe nodeError
					r.decode(t, &fe)
					if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != lambdaerr.TypeUnhandled ||
						fe.ErrorType != c.errorType || fe.ErrorMessage != c.errorMessage || len(fe.Trace) == 0 ||
						fe.Trace[0] != c.errorType+": "+strings.Split(c.errorMessage, "\n")[0] {
						t.Fatalf("got %v\nwant %s %q", r, c.errorType, c.errorMessage)
					}
				}
			})
		}
	})
}

// deployNode deploys testdata/node/<dir> through the CLI's code path. Non-zero fields of
// override replace those of the directory's lambdock.yaml (in a copy), so that one directory
// serves as several functions.
func deployNode(t testing.TB, l *lambdockd, dir string, override *cli.Project) *lambdaapi.FunctionConfiguration {
	t.Helper()
	src := filepath.Join("testdata", "node", dir)
	if override != nil {
		dst := t.TempDir()
		if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
		p, err := cli.LoadProject(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			to   *string
			from string
		}{{&p.Name, override.Name}, {&p.Runtime, override.Runtime}, {&p.Handler, override.Handler}} {
			if f.from != "" {
				*f.to = f.from
			}
		}
		if override.Timeout != 0 {
			p.Timeout = override.Timeout
		}
		b, err := yaml.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, cli.ProjectFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
		src = dst
	}
	return l.deployDir(t, src)
}
