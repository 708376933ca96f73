package cli_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// TestAsyncInvokeAndStatus queues an event with `lambdock invoke --async` and follows it with
// `lambdock status`: queued while no controller took it, then what the controller recorded
// (written here as the async engine would), with --wait's exit statuses.
func TestAsyncInvokeAndStatus(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	if _, err := env.Client.CreateFunction(ctx, &lambdaapi.CreateFunctionInput{
		FunctionName: "bg", Runtime: "provided.al2023", Handler: "bootstrap", Role: "arn:aws:iam::000000000000:role/r",
		Code: lambdaapi.FunctionCode{ZipFile: gatewaytest.Zip(t, map[string]string{"bootstrap": "#!/bin/sh\n"})},
	}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, env, "", "invoke", "bg", "--async", "-d", `{"n":1}`)
	id := strings.TrimSpace(out)
	if code != 0 || !regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(id) {
		t.Fatalf("invoke --async = %d %q %q, want a request id", code, out, errOut)
	}
	code, out, _ = run(t, env, "", "invoke", "bg", "--async", "-o", "json")
	var queued struct{ StatusCode int }
	if err := json.Unmarshal([]byte(out), &queued); code != 0 || err != nil || queued.StatusCode != 202 {
		t.Errorf("invoke --async -o json = %d %q", code, out)
	}
	if code, _, errOut := run(t, env, "", "invoke", "nope", "--async"); code != cli.ExitFailure ||
		!strings.Contains(errOut, "ResourceNotFoundException") {
		t.Errorf("invoke --async of an unknown function = %d %q", code, errOut)
	}

	conn, err := pgx.Connect(ctx, env.PostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(ctx) }()
	record := func(state, condition string) {
		t.Helper()
		if _, err := conn.Exec(ctx, `INSERT INTO async_invocations (request_id, account_id, function_name, state, attempt,
			attempt_done, condition, enqueued_at, updated_at) VALUES ($1, '000000000000', 'bg', $2, 1, 1, NULLIF($3, ''), now(), now())
			ON CONFLICT (request_id) DO UPDATE SET state = $2, condition = NULLIF($3, '')`, id, state, condition); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name   string
		record func()
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"queued", nil, []string{"status", id}, 0, "Status        queued", ""},
		{"queued json", nil, []string{"status", id, "-o", "json"}, 0, `"Status": "queued"`, ""},
		{"wait times out", nil, []string{"status", id, "--wait", "--timeout", "1s"}, cli.ExitFailure, "queued", "still queued after 1s"},
		{"succeeded", func() { record("succeeded", "Success") }, []string{"status", id, "--wait"}, 0, "Condition     Success", ""},
		{"failed", func() { record("failed", "RetriesExhausted") }, []string{"status", id, "--wait"}, cli.ExitFunctionError,
			"Status        failed", ""},
		{"expired", func() { record("expired", "EventAgeExceeded") }, []string{"status", id}, cli.ExitFunctionError,
			"Status        expired", ""},
		{"unknown", nil, []string{"status", "6f1c2a4e-0000-4000-8000-000000000000", "--wait"}, cli.ExitFailure, "",
			"ResourceNotFoundException"},
		{"malformed", nil, []string{"status", "x"}, cli.ExitFailure, "", "InvalidParameterValueException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.record != nil {
				tt.record()
			}
			code, out, errOut := run(t, env, "", tt.args...)
			if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("%v = %d\n%s\n%s", tt.args, code, out, errOut)
			}
		})
	}
}
