package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// TestURLCommands creates, shows and deletes a function URL with `lambdock url`.
func TestURLCommands(t *testing.T) {
	env := gatewaytest.New(t)
	if _, err := env.Client.CreateFunction(context.Background(), &lambdaapi.CreateFunctionInput{
		FunctionName: "web", Runtime: "provided.al2023", Handler: "bootstrap", Role: "arn:aws:iam::000000000000:role/r",
		Code: lambdaapi.FunctionCode{ZipFile: gatewaytest.Zip(t, map[string]string{"bootstrap": "#!/bin/sh\n"})},
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string
		stderr     string
		jsonStdout bool
	}{
		{"get before create", []string{"url", "get", "web"}, 1, "", "ResourceNotFoundException", false},
		{"bad auth type", []string{"url", "create", "web", "--auth-type", "open"}, 1, "", "AuthType", false},
		{"create", []string{"url", "create", "web", "--cors-origins", "https://a.example,https://b.example", "--cors-max-age", "60"},
			0, env.URL + "/fn/web/", "", false},
		{"create again", []string{"url", "create", "web"}, 1, "", "ResourceConflictException", false},
		{"get", []string{"url", "get", "web"}, 0, "CORS origins: https://a.example,https://b.example", "", false},
		{"get json", []string{"url", "get", "web", "-o", "json"}, 0, `"AuthType": "NONE"`, "", true},
		{"delete", []string{"url", "delete", "web"}, 0, "Removed the URL of web", "", false},
		{"delete again", []string{"url", "delete", "web"}, 1, "", "ResourceNotFoundException", false},
		{"create AWS_IAM json", []string{"url", "create", "web", "--auth-type", "aws_iam", "-o", "json"}, 0, `"AuthType": "AWS_IAM"`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, env, "", tt.args...)
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
