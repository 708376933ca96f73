package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
	"github.com/lambdock/lambdock/internal/testsupport/testtree"
)

// TestInvokeQualified invokes a version and an alias with `lambdock invoke NAME:QUALIFIER`: the
// version that runs is the one the qualifier names, and -o json shows it as ExecutedVersion.
func TestInvokeQualified(t *testing.T) {
	env := gatewaytest.New(t)
	env.Respond(t, func(inv msg.Invocation) msg.InvocationReply {
		return msg.InvocationReply{ExecutedVersion: inv.Function.Version,
			Payload: []byte(`{"ran":"` + inv.Function.Version + `","arn":"` + inv.InvokedFunctionArn + `"}`)}
	})
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{"lambdock.yaml": "name: hello\nbuild: none\n", "bootstrap*": "#!/bin/sh\n"})
	ctx := context.Background()
	if _, err := cli.Deploy(ctx, env.Client, dir, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	// The version and the alias come from the store: the management commands are tested on
	// their own.
	if _, _, err := env.DB.PublishVersion(ctx, tenant.AdminAccountID, "hello", store.PublishInput{}); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.CreateAlias(ctx, &store.Alias{AccountID: tenant.AdminAccountID, FunctionName: "hello",
		Name: "prod", FunctionVersion: "1"}, nil); err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:lambda:us-east-1:000000000000:function:hello"
	tests := []struct {
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{[]string{"invoke", "hello"}, 0, `{"ran":"$LATEST","arn":"` + arn + `"}`, ""},
		{[]string{"invoke", "hello:1"}, 0, `{"ran":"1","arn":"` + arn + `:1"}`, ""},
		{[]string{"invoke", "hello:prod"}, 0, `{"ran":"1","arn":"` + arn + `:prod"}`, ""},
		{[]string{"invoke", "hello:prod", "-o", "json"}, 0, `"ExecutedVersion": "1"`, ""},
		{[]string{"invoke", "hello:beta"}, cli.ExitFailure, "", "Function not found: " + arn + ":beta"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := run(t, env, "", tt.args...)
			if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout ~%q, stderr ~%q",
					code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}
