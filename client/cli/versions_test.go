package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// TestVersionsAndAliasesCLI publishes versions, points an alias with a weight, lists both,
// rolls the alias back and deletes it with the CLI.
func TestVersionsAndAliasesCLI(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	zip := func(tag string) []byte {
		return gatewaytest.Zip(t, map[string]string{"bootstrap": "#!/bin/sh\n# " + tag + "\n"})
	}
	if _, err := env.Client.CreateFunction(ctx, &lambdaapi.CreateFunctionInput{FunctionName: "web", Runtime: "provided.al2023",
		Handler: "bootstrap", Code: lambdaapi.FunctionCode{ZipFile: zip("1")}}); err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:lambda:us-east-1:000000000000:function:web"

	steps := []struct {
		args []string
		want []string
	}{
		{[]string{"publish", "web", "-d", "first"}, []string{"Published web version 1", arn + ":1"}},
		{[]string{"alias", "web", "prod", "1", "-d", "live"}, []string{"Created alias " + arn + ":prod → version 1"}},
		{[]string{"publish", "web"}, []string{"Published web version 1"}}, // unchanged $LATEST
	}
	for _, s := range steps {
		code, out, errOut := run(t, env, "", s.args...)
		for _, w := range s.want {
			if code != 0 || !strings.Contains(out, w) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", s.args, code, out, errOut, w)
			}
		}
	}
	if _, err := env.Client.UpdateFunctionCode(ctx, "web", &lambdaapi.UpdateFunctionCodeInput{ZipFile: zip("2")}); err != nil {
		t.Fatal(err)
	}
	steps = []struct {
		args []string
		want []string
	}{
		{[]string{"publish", "web"}, []string{"Published web version 2"}},
		{[]string{"alias", "web", "prod", "1", "--weight", "2=0.1"},
			[]string{"Moved alias " + arn + ":prod → version 1 (90 %), version 2 (10 %)"}},
		{[]string{"versions", "web"}, []string{"VERSION", "$LATEST", "1 ", "prod", "first", "prod (10 %)", "LATEST"}},
		{[]string{"aliases", "web"}, []string{"ALIAS", "prod", "version 1 (90 %), version 2 (10 %)", "live"}},
		{[]string{"alias", "web", "prod", "2"}, []string{"Moved alias " + arn + ":prod → version 2"}},
		{[]string{"alias", "web", "prod"}, []string{arn + ":prod", "routes to:   version 2", "description: live"}},
		{[]string{"rollback", "web", "prod"}, []string{"Rolled back alias " + arn + ":prod → version 1"}},
		{[]string{"alias", "web", "prod", "--delete"}, []string{"Deleted alias prod of web"}},
	}
	for _, s := range steps {
		code, out, errOut := run(t, env, "", s.args...)
		for _, w := range s.want {
			if code != 0 || !strings.Contains(out, w) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", s.args, code, out, errOut, w)
			}
		}
	}

	code, out, _ := run(t, env, "", "-o", "json", "versions", "web")
	var versions []lambdaapi.FunctionConfiguration
	if err := json.Unmarshal([]byte(out), &versions); code != 0 || err != nil || len(versions) != 3 ||
		versions[0].FunctionArn != arn+":$LATEST" || versions[2].Version != "2" {
		t.Errorf("versions -o json: exit %d, %v, %s", code, err, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"alias", "web", "prod", "1", "--weight", "2"}, "--weight must be VERSION=SHARE"},
		{[]string{"alias", "web", "prod", "1", "--weight", "2=1.5"}, "--weight must be VERSION=SHARE"},
		{[]string{"alias", "web", "prod", "1", "--delete"}, "--delete takes no VERSION"},
		{[]string{"alias", "web", "prod", "9"}, "Function not found: " + arn + ":9"},
		{[]string{"rollback", "web", "prod"}, "Alias not found"},
		{[]string{"alias", "web", "prod"}, "Cannot find alias arn"},
	} {
		code, _, errOut := run(t, env, "", tc.args...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, code, errOut, tc.want)
		}
	}
}
