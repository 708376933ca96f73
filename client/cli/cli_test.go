package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
	"github.com/lambdock/lambdock/internal/testsupport/testtree"
)

// run runs the CLI against env and returns the exit status, stdout and stderr.
func run(t *testing.T, env *gatewaytest.Env, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), append([]string{"--endpoint", env.URL}, args...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// echo answers like a controller: the event back, or a function error for {"fail":true}.
func echo(inv msg.Invocation) msg.InvocationReply {
	var ev struct{ Fail bool }
	_ = json.Unmarshal(inv.Payload, &ev)
	if ev.Fail {
		return msg.InvocationReply{FunctionError: "Unhandled", ExecutedVersion: "$LATEST",
			Payload: lambdaerr.FunctionErrorPayload("HandlerError", "asked to fail")}
	}
	return msg.InvocationReply{ExecutedVersion: "$LATEST", Payload: inv.Payload, LogTail: []byte("REPORT RequestId: x\n")}
}

// TestDeployInvokeManage deploys a project twice (create, then update), invokes it and uses
// every read and write command, against an in-process gateway.
func TestDeployInvokeManage(t *testing.T) {
	env := gatewaytest.New(t)
	env.Respond(t, echo)
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{
		"lambdock.yaml": "name: hello\nbuild: none\nmemory: 256\nenvironment:\n  GREETING: Hi\n",
		"bootstrap*":    "#!/bin/sh\n",
	})
	ctx := context.Background()

	var progress bytes.Buffer
	res, err := cli.Deploy(ctx, env.Client, dir, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.Function.MemorySize != 256 || res.Function.Environment.Variables["GREETING"] != "Hi" ||
		!strings.Contains(progress.String(), "lambdock invoke hello --endpoint "+env.URL) {
		t.Errorf("first deploy: %+v\n%s", res, progress.String())
	}

	testtree.Write(t, dir, map[string]string{
		"lambdock.yaml": "name: hello\nbuild: none\nmemory: 512\ntimeout: 10\n",
		"bootstrap*":    "#!/bin/sh\necho v2\n",
	})
	res2, err := cli.Deploy(ctx, env.Client, dir, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Created || res2.Function.MemorySize != 512 || res2.Function.Timeout != 10 || res2.Function.Environment != nil ||
		res2.Function.CodeSha256 == res.Function.CodeSha256 {
		t.Errorf("second deploy: %+v", res2.Function)
	}

	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, []byte(`{"from":"file"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		stdin      string
		args       []string
		code       int
		stdout     string // substring
		stderr     string // substring
		jsonStdout bool
	}{
		{"invoke", "", []string{"invoke", "hello", "-d", `{"a":1}`}, 0, "{\"a\":1}\n", "", false},
		{"invoke no payload", "", []string{"invoke", "hello"}, 0, "{}\n", "", false},
		{"invoke file", "", []string{"invoke", "hello", "-d", "@" + event}, 0, `{"from":"file"}`, "", false},
		{"invoke stdin", `{"from":"stdin"}`, []string{"invoke", "hello", "-d", "@-"}, 0, `{"from":"stdin"}`, "", false},
		{"invoke log", "", []string{"invoke", "hello", "--log"}, 0, "{}", "REPORT RequestId", false},
		{"invoke function error", "", []string{"invoke", "hello", "-d", `{"fail":true}`}, cli.ExitFunctionError, "",
			`{"errorType":"HandlerError","errorMessage":"asked to fail"}`, false},
		{"invoke function error json", "", []string{"invoke", "hello", "-o", "json", "-d", `{"fail":true}`}, cli.ExitFunctionError,
			`"FunctionError": "Unhandled"`, "", true},
		{"invoke unknown", "", []string{"invoke", "nope"}, cli.ExitFailure, "", "ResourceNotFoundException", false},
		{"list", "", []string{"list"}, 0, "hello", "", false},
		{"list json", "", []string{"list", "-o", "json"}, 0, `"FunctionName": "hello"`, "", true},
		{"describe", "", []string{"describe", "hello"}, 0, "512 MB", "", false},
		{"describe json", "", []string{"describe", "hello", "-o", "json"}, 0, `"State": "Active"`, "", true},
		{"describe unknown", "", []string{"describe", "nope"}, cli.ExitFailure, "", "Function not found", false},
		{"bad output", "", []string{"list", "-o", "yaml"}, cli.ExitFailure, "", "-o must be", false},
		{"concurrency none", "", []string{"concurrency", "hello"}, 0, "no reserved concurrency", "", false},
		{"concurrency set", "", []string{"concurrency", "hello", "5"}, 0, "Reserved 5", "", false},
		{"concurrency json", "", []string{"concurrency", "hello", "-o", "json"}, 0, `"ReservedConcurrentExecutions": 5`, "", true},
		{"concurrency too much", "", []string{"concurrency", "hello", "950"}, cli.ExitFailure, "", "UnreservedConcurrentExecution", false},
		{"concurrency delete", "", []string{"concurrency", "hello", "--delete"}, 0, "Removed", "", false},
		{"delete", "", []string{"delete", "hello"}, 0, "Deleted hello", "", false},
		{"delete again", "", []string{"delete", "hello"}, cli.ExitFailure, "", "ResourceNotFoundException", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, env, tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout ~%q, stderr ~%q",
					code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
			if tt.jsonStdout && !json.Valid([]byte(stdout)) {
				t.Errorf("stdout is not JSON: %q", stdout)
			}
		})
	}
}

// TestInitCommand scaffolds through the command line.
func TestInitCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fn")
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), []string{"init", "fn", "--runtime", "provided", "--dir", dir}, nil, &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), "lambdock deploy "+dir) {
		t.Fatalf("init: exit %d, %q %q", code, out.String(), errOut.String())
	}
	for _, f := range []string{"lambdock.yaml", "main.go", "go.mod", ".gitignore"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	code = cli.Main(context.Background(), []string{"init", "fn", "--dir", dir}, nil, &out, &errOut)
	if code != cli.ExitFailure || !strings.Contains(errOut.String(), "not empty") {
		t.Errorf("init over an existing project: exit %d, %q", code, errOut.String())
	}
}
