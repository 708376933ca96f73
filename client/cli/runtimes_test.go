package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/internal/lambda/runtimes"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// TestRuntimesCommand lists the gateway's runtimes as a table and as JSON.
func TestRuntimesCommand(t *testing.T) {
	env := gatewaytest.New(t)
	code, stdout, stderr := run(t, env, "", "runtimes")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != len(runtimes.All())+1 || strings.Join(strings.Fields(lines[0]), " ") != "RUNTIME LANGUAGE OS IMAGE SDK DEPRECATED" {
		t.Fatalf("table:\n%s", stdout)
	}
	for _, want := range []string{
		"python3.13 Python 3.13 Debian 13 (trixie) lambdock/python:3.13 boto3 1.37 (Debian's python3-boto3) no",
		"nodejs18.x Node.js 18 Debian 12 (bookworm) lambdock/nodejs:18 - yes",
		"provided.al2023 - scratch (CA bundle, zoneinfo) lambdock/provided:al2023 - no",
	} {
		found := false
		for _, l := range lines {
			found = found || strings.Join(strings.Fields(l), " ") == want
		}
		if !found {
			t.Errorf("no row %q in\n%s", want, stdout)
		}
	}

	code, stdout, stderr = run(t, env, "", "runtimes", "-o", "json")
	var out struct {
		Runtimes []struct{ Runtime, LanguageVersion string }
	}
	if err := json.Unmarshal([]byte(stdout), &out); code != 0 || err != nil || len(out.Runtimes) != len(runtimes.All()) ||
		out.Runtimes[1].Runtime != "python3.11" || out.Runtimes[1].LanguageVersion != "3.11" {
		t.Errorf("-o json: exit %d, %q %q (%v)", code, stdout, stderr, err)
	}
}
