package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// TestEventConfigCommands puts, updates, shows, lists and deletes a function's asynchronous
// invocation settings with `lambdock event-config`.
func TestEventConfigCommands(t *testing.T) {
	env := gatewaytest.New(t)
	for _, name := range []string{"worker", "next"} {
		if _, err := env.Client.CreateFunction(context.Background(), &lambdaapi.CreateFunctionInput{
			FunctionName: name, Runtime: "provided.al2023", Handler: "bootstrap", Role: "arn:aws:iam::000000000000:role/r",
			Code: lambdaapi.FunctionCode{ZipFile: gatewaytest.Zip(t, map[string]string{"bootstrap": "#!/bin/sh\n"})},
		}); err != nil {
			t.Fatal(err)
		}
	}
	const (
		arn     = "arn:aws:lambda:us-east-1:000000000000:function:worker:$LATEST"
		done    = "arn:aws:nats:us-east-1:000000000000:subject/orders.done"
		failed  = "arn:aws:nats:us-east-1:000000000000:queue/failed"
		nextARN = "arn:aws:lambda:us-east-1:000000000000:function:next"
	)
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string
		stderr     string
		jsonStdout bool
	}{
		{"get before put", []string{"event-config", "get", "worker"}, 1, "", "doesn't have an EventInvokeConfig", false},
		{"update before put", []string{"event-config", "update", "worker", "--max-retries", "1"}, 1, "",
			"ResourceNotFoundException", false},
		{"nothing to put", []string{"event-config", "put", "worker"}, 1, "", "You must specify at least one", false},
		{"too many retries", []string{"event-config", "put", "worker", "--max-retries", "3"}, 1, "",
			"Member must have value less than or equal to 2", false},
		{"unknown function", []string{"event-config", "put", "nope", "--max-age", "60"}, 1, "",
			"The function doesn't exist.", false},
		{"put", []string{"event-config", "put", "worker", "--max-retries", "1", "--max-age", "600", "--on-success", done,
			"--on-failure", failed}, 0, "Function:      " + arn + "\nMax retries:   1\nMax event age: 600 s\nOn success:    " +
			done + "\nOn failure:    " + failed + "\n", "", false},
		{"update one destination", []string{"event-config", "update", "worker", "--on-success", nextARN}, 0,
			"On success:    " + nextARN + "\nOn failure:    " + failed + "\n", "", false},
		{"update retries", []string{"event-config", "update", "worker", "--max-retries", "0"}, 0,
			"Max retries:   0\nMax event age: 600 s\n", "", false},
		{"remove a destination", []string{"event-config", "update", "worker", "--on-failure", ""}, 0,
			"On success:    " + nextARN + "\nOn failure:    -\n", "", false},
		{"get json", []string{"event-config", "get", "worker", "-o", "json"}, 0, `"MaximumRetryAttempts": 0`, "", true},
		{"list", []string{"event-config", "list", "worker"}, 0, arn + "  0            600 s", "", false},
		{"list json", []string{"event-config", "list", "worker", "-o", "json"}, 0, `"FunctionEventInvokeConfigs": [`, "", true},
		{"put replaces", []string{"event-config", "put", "worker", "--max-age", "60"}, 0,
			"Max retries:   default\nMax event age: 60 s\nOn success:    -\nOn failure:    -\n", "", false},
		{"delete", []string{"event-config", "delete", "worker"}, 0, "Removed the asynchronous invocation settings of worker", "", false},
		{"delete again", []string{"event-config", "delete", "worker"}, 1, "", "ResourceNotFoundException", false},
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
