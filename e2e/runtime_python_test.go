package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// pythonError is the error body of Lambda's Python runtimes.
type pythonError struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	RequestID    *string  `json:"requestId"`
	StackTrace   []string `json:"stackTrace"`
}

// TestPythonRuntime deploys the functions of testdata/python through the CLI's code path and
// invokes them on one lambdockd: the python3.13 image's runtime interface client, seen from a
// caller.
func TestPythonRuntime(t *testing.T) {
	need(t)
	l := start(t, newConfig(dataDir(t), "e2e-py-"+randomID()))

	t.Run("the handler gets the event and a context with every field", func(t *testing.T) {
		t.Parallel()
		name := deployPython(t, l, "echo", "python3.13")
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		fn, err := l.client.GetFunction(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		clientContext := `{"client":{"installation_id":"inst-1"},"custom":{"k":"v"},"env":{"platform":"test"}}`
		r := l.invokeWith(t, name, `{"hello":"wörld","n":[1,2.5,null]}`, map[string]string{
			lambdaapi.HeaderClientContext: base64.StdEncoding.EncodeToString([]byte(clientContext))})
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != "" {
			t.Fatalf("invoke: %v", r)
		}
		if !strings.Contains(string(r.body), `"wörld"`) {
			t.Errorf("python3.13 results keep non-ASCII text as UTF-8, got %s", r.body)
		}
		var got struct {
			Event              map[string]any `json:"event"`
			AWSRequestID       string         `json:"aws_request_id"`
			FunctionName       string         `json:"function_name"`
			FunctionVersion    string         `json:"function_version"`
			MemoryLimitInMB    any            `json:"memory_limit_in_mb"`
			InvokedFunctionARN string         `json:"invoked_function_arn"`
			LogGroupName       string         `json:"log_group_name"`
			LogStreamName      string         `json:"log_stream_name"`
			RemainingMS        int            `json:"remaining_ms"`
			CognitoIdentityID  *string        `json:"cognito_identity_id"`
			ClientContext      *struct {
				Custom         map[string]string `json:"custom"`
				Env            map[string]string `json:"env"`
				InstallationID string            `json:"installation_id"`
			} `json:"client_context"`
		}
		r.decode(t, &got)
		requestID := r.header.Get("X-Amzn-Requestid")
		checks := []struct {
			field string
			ok    bool
		}{
			{"event", fmt.Sprint(got.Event) == "map[hello:wörld n:[1 2.5 <nil>]]"},
			{"aws_request_id", got.AWSRequestID != "" && got.AWSRequestID == requestID},
			{"function_name", got.FunctionName == name},
			{"function_version", got.FunctionVersion == "$LATEST"},
			{"memory_limit_in_mb (a str, as on Lambda)", got.MemoryLimitInMB == "128"},
			{"invoked_function_arn", got.InvokedFunctionARN == fn.Configuration.FunctionArn},
			{"log_group_name", got.LogGroupName == "/aws/lambda/"+name},
			{"log_stream_name", regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\[\$LATEST\]\S+$`).MatchString(got.LogStreamName)},
			{"get_remaining_time_in_millis", got.RemainingMS > 0 && got.RemainingMS <= 3000},
			{"identity (no Cognito caller)", got.CognitoIdentityID == nil},
			{"client_context", got.ClientContext != nil && got.ClientContext.Custom["k"] == "v" &&
				got.ClientContext.Env["platform"] == "test" && got.ClientContext.InstallationID == "inst-1"},
		}
		for _, c := range checks {
			if !c.ok {
				t.Errorf("%s is wrong in %s (request id %s, ARN %s)", c.field, r.body, requestID, fn.Configuration.FunctionArn)
			}
		}
	})

	t.Run("a handler in a package directory (dir/file.function)", func(t *testing.T) {
		t.Parallel()
		name := deployPython(t, l, "nested", "python3.13")
		r := l.invoke(t, name, `{}`)
		if want := `{"module": "lib.handlers.api", "shared": "imported from the same package"}`; r.status != http.StatusOK ||
			string(r.body) != want {
			t.Fatalf("got %v, want %s", r, want)
		}
	})

	t.Run("AWS_LAMBDA_EXEC_WRAPPER starts the runtime through the script", func(t *testing.T) {
		t.Parallel()
		name := deployPython(t, l, "wrapper", "python3.13")
		if r := l.invoke(t, name, `{}`); r.status != http.StatusOK || string(r.body) != `{"wrapped_by": "wrapper.sh"}` {
			t.Fatalf("got %v", r)
		}
	})

	t.Run("an exception is Lambda's Unhandled error body", func(t *testing.T) {
		t.Parallel()
		name := deployPython(t, l, "raise", "python3.13")
		r := l.invokeWith(t, name, `{}`, map[string]string{"X-Amz-Log-Type": "Tail"})
		var fe pythonError
		r.decode(t, &fe)
		want := `  File "/var/task/app.py", line 2, in handler` + "\n" + `    raise ValueError("boom")` + "\n"
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != lambdaerr.TypeUnhandled ||
			fe.ErrorType != "ValueError" || fe.ErrorMessage != "boom" ||
			fe.RequestID == nil || *fe.RequestID != r.header.Get("X-Amzn-Requestid") ||
			len(fe.StackTrace) != 1 || fe.StackTrace[0] != want {
			t.Fatalf("got %v, want ValueError boom with the request id and the trace %q", r, want)
		}
		tail, _ := base64.StdEncoding.DecodeString(r.header.Get("X-Amz-Log-Result"))
		if logged := "[ERROR] ValueError: boom\nTraceback (most recent call last):\n" + want; !strings.Contains(string(tail), logged) {
			t.Errorf("log %q lacks %q", tail, logged)
		}
	})

	t.Run("a result JSON cannot hold is Runtime.MarshalError", func(t *testing.T) {
		t.Parallel()
		name := deployPython(t, l, "marshal", "python3.13")
		r := l.invoke(t, name, `{}`)
		var fe pythonError
		r.decode(t, &fe)
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != lambdaerr.TypeUnhandled ||
			fe.ErrorType != "Runtime.MarshalError" ||
			fe.ErrorMessage != "Unable to marshal response: Object of type set is not JSON serializable" {
			t.Fatalf("got %v", r)
		}
	})

	t.Run("a maximum-size event goes to the handler and back", func(t *testing.T) {
		t.Parallel()
		name := deployPython(t, l, "bench", "python3.13")
		event := maxEvent()
		r := l.invoke(t, name, event)
		var got struct{ Op, Value string }
		r.decode(t, &got)
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != "" || got.Op != "echo" ||
			len(got.Value) != len(event)-len(`{"op":"echo","value":""}`) {
			t.Fatalf("status %d, function error %q, %d bytes back: %.300s", r.status,
				r.header.Get(lambdaapi.HeaderFunctionError), len(r.body), r.body)
		}
	})

	t.Run("a result above 6 MB is Function.ResponseSizeTooLarge and the runtime goes on", func(t *testing.T) {
		t.Parallel()
		name := deployPython(t, l, "toolarge", "python3.13")
		pid := func() int {
			r := l.invoke(t, name, `{}`)
			var got struct{ PID int }
			r.decode(t, &got)
			if r.status != http.StatusOK || got.PID == 0 {
				t.Fatalf("small result: %v", r)
			}
			return got.PID
		}
		before := pid()
		r := l.invoke(t, name, `{"big":true}`)
		var fe struct{ ErrorType string }
		r.decode(t, &fe)
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != lambdaerr.TypeUnhandled ||
			fe.ErrorType != lambdaerr.TypeResponseSizeTooLarge {
			t.Fatalf("got %.300v", r)
		}
		if after := pid(); after != before {
			t.Fatalf("the runtime was restarted (pid %d, then %d)", before, after)
		}
	})

	t.Run("print and the root logger reach the log with the request id", func(t *testing.T) {
		t.Parallel()
		name := deployPython(t, l, "logs", "python3.13")
		r := l.invokeWith(t, name, `{"who":"me"}`, map[string]string{"X-Amz-Log-Type": "Tail"})
		tail, err := base64.StdEncoding.DecodeString(r.header.Get("X-Amz-Log-Result"))
		if r.status != http.StatusOK || string(r.body) != "null" || err != nil {
			t.Fatalf("invoke: %v (log: %v)", r, err)
		}
		id := regexp.QuoteMeta(r.header.Get("X-Amzn-Requestid"))
		for _, want := range []string{`(?m)^hello from print$`,
			`(?m)^\[WARNING\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t` + id + `\twarned me$`} {
			if !regexp.MustCompile(want).Match(tail) {
				t.Errorf("log %q does not match %s", tail, want)
			}
		}
		if strings.Contains(string(tail), "not shown") {
			t.Errorf("an INFO record was logged at the default level: %q", tail)
		}
		if report := regexp.MustCompile(`(?m)^REPORT .*$`).Find(tail); report != nil {
			t.Logf("first (cold) invoke: %s", report) // its Init Duration is the runtime's cold start
		}
	})

	t.Run("a timeout is Sandbox.Timedout and the next invoke works", func(t *testing.T) {
		t.Parallel()
		name := deployPython(t, l, "sleep", "python3.13")
		r := l.invoke(t, name, `{"seconds":4}`)
		var fe struct{ ErrorType, ErrorMessage string }
		r.decode(t, &fe)
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != lambdaerr.TypeUnhandled ||
			fe.ErrorType != lambdaerr.TypeSandboxTimedout || !strings.HasSuffix(fe.ErrorMessage, "Task timed out after 2.00 seconds") {
			t.Fatalf("timed-out call: %v", r)
		}
		if r := l.invoke(t, name, `{"seconds":0}`); r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != "" ||
			string(r.body) != `{"slept": 0}` {
			t.Fatalf("call after the timeout: %v", r)
		}
	})

	t.Run("module-level state persists across warm invokes", func(t *testing.T) {
		t.Parallel()
		name := deployPython(t, l, "counter", "python3.13")
		var pid int
		for i := 1; i <= 5; i++ {
			r := l.invoke(t, name, `{}`)
			var c struct{ Count, PID int }
			r.decode(t, &c)
			if r.status != http.StatusOK || c.Count != i || (i > 1 && c.PID != pid) {
				t.Fatalf("invoke %d: %v (want count %d from one process)", i, r, i)
			}
			pid = c.PID
		}
	})

	t.Run("init errors reach the caller as Lambda's Runtime errors", func(t *testing.T) {
		t.Parallel()
		cases := []struct {
			dir, errorType, message string
			stack                   []string
		}{
			{"importerror", "Runtime.ImportModuleError", "Unable to import module 'app': No module named 'missing_dependency'", nil},
			{"nohandler", "Runtime.HandlerNotFound", "Handler 'nope' missing on module 'app'", nil},
			{"malformed", "Runtime.MalformedHandlerName", "Bad handler 'app': not enough values to unpack (expected 2, got 1)", nil},
			{"syntaxerror", "Runtime.UserCodeSyntaxError", "Syntax error in module 'app': expected ':' (app.py, line 1)",
				[]string{`  File "/var/task/app.py" Line 1` + "\n    def handler(event, context)\n"}},
		}
		for _, c := range cases {
			t.Run(c.dir, func(t *testing.T) {
				t.Parallel()
				name := deployPython(t, l, c.dir, "python3.13")
				for i := range 2 { // the failed init runs again on the next invoke
					r := l.invoke(t, name, `{}`)
					var fe pythonError
					r.decode(t, &fe)
					if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != lambdaerr.TypeUnhandled ||
						fe.ErrorType != c.errorType || fe.ErrorMessage != c.message ||
						fe.RequestID == nil || *fe.RequestID != "" || fmt.Sprintf("%q", fe.StackTrace) != fmt.Sprintf("%q", append([]string{}, c.stack...)) {
						t.Fatalf("invoke %d: %v, want %s %q with stack %q", i, r, c.errorType, c.message, c.stack)
					}
				}
			})
		}
	})

	t.Run("python3.11 runs a function, with ASCII-escaped results as on Lambda", func(t *testing.T) {
		t.Parallel()
		name := deployPython(t, l, "echo", "python3.11")
		r := l.invoke(t, name, `{"hello":"wörld"}`)
		var got struct {
			Event        map[string]string `json:"event"`
			FunctionName string            `json:"function_name"`
		}
		r.decode(t, &got)
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != "" ||
			got.Event["hello"] != "wörld" || got.FunctionName != name || !strings.Contains(string(r.body), `"w\u00f6rld"`) {
			t.Fatalf("invoke: %v", r)
		}
	})
}

// TestPythonRuntimeUnits runs the unit tests of the runtime interface client
// (images/python/tests) inside each python image, as the function user on its read-only root:
// what the end-to-end tests cannot reach (chunked answers and closed connections of the Runtime
// API, handler names and error frames they do not use).
func TestPythonRuntimeUnits(t *testing.T) {
	need(t)
	tests, err := filepath.Abs(filepath.Join("..", "images", "python", "tests"))
	if err != nil {
		t.Fatal(err)
	}
	for _, image := range []string{"lambdock/python:3.13", "lambdock/python:3.11"} {
		t.Run(image, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			out, err := exec.CommandContext(ctx, "docker", "run", "--rm", "--read-only", "--user", "993:990",
				"--tmpfs", "/tmp", "--network", "none", "-v", tests+":/tests:ro", "--entrypoint", "/usr/bin/python3",
				image, "-B", "-m", "unittest", "discover", "-s", "/tests").CombinedOutput()
			if err != nil || !regexp.MustCompile(`(?m)^OK$`).Match(out) {
				t.Fatalf("%v\n%s", err, out)
			}
		})
	}
}

// Keys of a lambdock.yaml that deployPythonWith rewrites.
var (
	nameLine    = regexp.MustCompile(`(?m)^name: .*$`)
	runtimeLine = regexp.MustCompile(`(?m)^runtime: .*$`)
	memoryLine  = regexp.MustCompile(`(?m)^memory: .*\n?`)
)

// deployPython deploys the function project testdata/python/<dir> under a unique name on
// runtime through the CLI's code path (cli.Deploy) and returns the name.
func deployPython(t testing.TB, l *lambdockd, dir, runtime string) string {
	t.Helper()
	return deployPythonWith(t, l, dir, runtime, 0)
}

// deployPythonWith is deployPython with memoryMB in place of the project's memory size (unless 0).
func deployPythonWith(t testing.TB, l *lambdockd, dir, runtime string, memoryMB int) string {
	t.Helper()
	name := "py-" + dir + "-" + randomID()
	project := copyProject(t, filepath.Join("testdata", "python", dir), func(yaml string) string {
		yaml = nameLine.ReplaceAllString(yaml, "name: "+name)
		yaml = runtimeLine.ReplaceAllString(yaml, "runtime: "+runtime)
		if memoryMB > 0 {
			yaml = memoryLine.ReplaceAllString(yaml, "") + fmt.Sprintf("memory: %d\n", memoryMB)
		}
		return yaml
	})
	l.deployDir(t, project)
	return name
}

// copyProject copies the project directory src to a temporary directory, passing its
// lambdock.yaml through edit, and returns the copy.
func copyProject(t testing.TB, src string, edit func(string) string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "project")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	yaml := filepath.Join(dst, cli.ProjectFile)
	b, err := os.ReadFile(yaml)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(yaml, []byte(edit(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}
