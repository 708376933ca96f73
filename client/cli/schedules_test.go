package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
	"github.com/lambdock/lambdock/internal/testsupport/testtree"
)

// TestScheduleCLI walks through the schedule commands: create with --rate, --cron (six fields
// and a crontab line), a payload and catch-up, list, get, disable, enable and delete, and the
// gateway's 400 for an invalid expression.
func TestScheduleCLI(t *testing.T) {
	env := gatewaytest.New(t)
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{"lambdock.yaml": "name: ticker\nbuild: none\n", "bootstrap*": "#!/bin/sh\n"})
	if code, out, errOut := run(t, env, "", "deploy", dir); code != 0 {
		t.Fatalf("deploy: %d %s %s", code, out, errOut)
	}

	code, out, errOut := run(t, env, "", "schedule", "create", "every-5", "--function", "ticker", "--rate", "5 minutes")
	if code != 0 || !strings.Contains(out, "Created schedule every-5: rate(5 minutes) invokes ticker (enabled)") ||
		!strings.Contains(out, "arn:aws:events:us-east-1:000000000000:rule/every-5") {
		t.Fatalf("create --rate: %d %s %s", code, out, errOut)
	}
	code, out, errOut = run(t, env, "", "schedule", "create", "weekdays", "--function", "ticker",
		"--cron", "0 18 ? * MON-FRI *", "--payload", `{"job":"report"}`, "--catch-up", "none", "-o", "json")
	var sc lambdaapi.Schedule
	if code != 0 || json.Unmarshal([]byte(out), &sc) != nil || sc.ScheduleExpression != "cron(0 18 ? * MON-FRI *)" ||
		sc.CatchUp != "none" || !strings.Contains(string(sc.Payload), `"job": "report"`) {
		t.Fatalf("create --cron: %d %s %s", code, out, errOut)
	}
	if code, out, errOut = run(t, env, "", "schedule", "create", "crontab", "--function", "ticker",
		"--cron", "*/5 * * * *"); code != 0 || !strings.Contains(out, ": */5 * * * * invokes ticker") {
		t.Fatalf("create crontab: %d %s %s", code, out, errOut)
	}
	code, _, errOut = run(t, env, "", "schedule", "create", "bad", "--function", "ticker", "--rate", "5 minute")
	if code != 1 || !strings.Contains(errOut, "InvalidParameterValueException") || !strings.Contains(errOut, "plural") {
		t.Fatalf("create with an invalid rate: %d %s", code, errOut)
	}
	code, _, errOut = run(t, env, "", "schedule", "create", "bad", "--function", "ticker", "--rate", "1 minute",
		"--cron", "* * * * *")
	if code != 1 || !strings.Contains(errOut, "exactly one of --cron and --rate") {
		t.Fatalf("create with both: %d %s", code, errOut)
	}

	code, out, _ = run(t, env, "", "schedule", "list")
	if code != 0 || !strings.Contains(out, "NAME") || !strings.Contains(out, "every-5") || !strings.Contains(out, "weekdays") ||
		!strings.Contains(out, "crontab") {
		t.Fatalf("list: %d %s", code, out)
	}
	for _, step := range []struct{ args, want string }{
		{"schedule get weekdays", `Payload:   {"job":"report"}`},
		{"schedule disable every-5", "Schedule every-5: rate(5 minutes) invokes ticker (disabled)"},
		{"schedule enable every-5", "(enabled)"},
		{"schedule delete weekdays", "Deleted schedule weekdays"},
	} {
		if code, out, errOut := run(t, env, "", strings.Fields(step.args)...); code != 0 || !strings.Contains(out, step.want) {
			t.Fatalf("%s: %d %s %s", step.args, code, out, errOut)
		}
	}
	code, _, errOut = run(t, env, "", "schedule", "get", "weekdays")
	if code != 1 || !strings.Contains(errOut, "ResourceNotFoundException") {
		t.Fatalf("get after delete: %d %s", code, errOut)
	}
}
