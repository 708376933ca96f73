package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// TestQueueTriggerCommands creates, lists, shows, updates and deletes a queue trigger with
// `lambdock queue-trigger`.
func TestQueueTriggerCommands(t *testing.T) {
	env := gatewaytest.New(t)
	if _, err := env.Client.CreateFunction(context.Background(), &lambdaapi.CreateFunctionInput{
		FunctionName: "worker", Runtime: "provided.al2023", Handler: "bootstrap", Role: "arn:aws:iam::000000000000:role/r",
		Code: lambdaapi.FunctionCode{ZipFile: gatewaytest.Zip(t, map[string]string{"bootstrap": "#!/bin/sh\n"})},
	}); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, env, "", "queue-trigger", "create", "worker", "jobs", "--report-failures",
		"--max-retries", "3", "--on-failure", "queue/jobs-dlq", "-o", "json")
	var created lambdaapi.EventSourceMappingConfiguration
	if code != 0 || json.Unmarshal([]byte(stdout), &created) != nil || created.UUID == "" {
		t.Fatalf("create: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	id := created.UUID
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"create for a missing function", []string{"queue-trigger", "create", "nope", "jobs2"}, 1, "", "ResourceNotFoundException"},
		{"create again", []string{"queue-trigger", "create", "worker", "jobs"}, 1, "", "ResourceConflictException"},
		{"create text", []string{"esm", "create", "worker", "other", "--disabled"}, 0,
			"nats pub lambdock.user.000000000000.queue.other 'hello'", ""},
		{"list", []string{"queue-trigger", "list", "--queue", "arn:aws:nats:us-east-1:000000000000:queue/jobs"}, 0, id, ""},
		{"get", []string{"queue-trigger", "get", id}, 0, "OnFailure:        arn:aws:nats:us-east-1:000000000000:queue/jobs-dlq", ""},
		{"update", []string{"queue-trigger", "update", id, "--disable", "--batch-size", "5", "--on-failure", ""}, 0, "(Disabling)", ""},
		{"get after update", []string{"queue-trigger", "get", id}, 0, "Batch size:       5", ""},
		{"update: bad batch", []string{"queue-trigger", "update", id, "--batch-size", "50"}, 1, "", "batch window"},
		{"delete", []string{"queue-trigger", "delete", id}, 0, "Removed queue trigger " + id, ""},
		{"get after delete", []string{"queue-trigger", "get", id}, 1, "", "ResourceNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, env, "", tt.args...)
			if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout ~%q, stderr ~%q",
					code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}
