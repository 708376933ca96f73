package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/client/credentials"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// README markers of the versions section's AWS CLI block.
const (
	versionsCLIStart = "<!-- versions-cli:start -->"
	versionsCLIEnd   = "<!-- versions-cli:end -->"
)

// The README's commands name the tutorial's server and lambdockd's data directory as root has it.
const (
	readmeEndpoint    = "http://127.0.0.1:8070"
	readmeCredentials = "/var/lib/lambdock/credentials"
)

// TestREADMEVersionsCLI runs the README's AWS CLI block of versions and aliases as it is written
// (publish-version, create-alias, update-function-code, invoke --qualifier, update-alias with
// routing, list-versions-by-function, list-aliases) against a real lambdockd with the AWS CLI,
// only pointing it at the test's server and credentials file, and checks what each command did.
// With AWS CLI v1, --cli-binary-format (v2's) is left out, as the README says.
func TestREADMEVersionsCLI(t *testing.T) {
	need(t)
	aws, err := exec.LookPath("aws")
	if err != nil {
		t.Fatal("the AWS CLI (aws) is needed: apt-get install awscli (.ci/run installs it)")
	}
	script := readmeBlock(t, versionsCLIStart, versionsCLIEnd)
	version, err := exec.Command(aws, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("aws --version: %v: %s", err, version)
	}
	if strings.HasPrefix(string(version), "aws-cli/1.") {
		script = strings.ReplaceAll(script, " --cli-binary-format raw-in-base64-out", "")
	}

	dir := dataDir(t)
	l := start(t, newConfig(dir, "e2e-readme-versions-"+randomID()))
	// The tutorial's hello2 with its first code; hello/fn.zip is the rebuilt package the block
	// deploys as the next version.
	l.deployCode(t, "hello2", "v1")
	work := t.TempDir()
	bootstrap, err := os.ReadFile(shared.bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(work, "hello"), 0o755); err != nil {
		t.Fatal(err)
	}
	zip := gatewaytest.Zip(t, map[string]string{"bootstrap": string(bootstrap), "code.txt": "v2"})
	if err := os.WriteFile(filepath.Join(work, "hello", "fn.zip"), zip, 0o644); err != nil {
		t.Fatal(err)
	}

	script = strings.ReplaceAll(script, readmeEndpoint, l.url)
	script = strings.ReplaceAll(script, readmeCredentials, filepath.Join(dir, credentials.FileName))
	commands := shellCommands(script)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", separated(commands))
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE="+filepath.Join(work, "no-aws-config"), "AWS_PAGER=",
		"HOME="+work)
	out, err := cmd.CombinedOutput()
	defer func() {
		if t.Failed() {
			t.Logf("the README's block printed:\n%s", out)
		}
	}()
	if err != nil {
		t.Fatalf("the README's block failed: %v", err)
	}

	// Each command's output on its own, so that a check of one command never passes on what
	// another printed.
	outputs := commandOutputs(t, string(out), len(commands))
	tests := []struct {
		command string // the command's text ends with this (or contains it, with a space after)
		want    *regexp.Regexp
	}{
		{`publish-version --function-name hello2 --description "first release"`, regexp.MustCompile(`"Version": "1"`)},
		{"create-alias --function-name hello2 --name prod --function-version 1",
			regexp.MustCompile(`"AliasArn": "arn:aws:lambda:us-east-1:000000000000:function:hello2:prod"`)},
		{"publish-version --function-name hello2", regexp.MustCompile(`"Version": "2"`)},
		// invoke --qualifier prod before the routing: version 1 and its code
		{"--payload '{\"name\":\"prod\"}' out.json && cat out.json",
			regexp.MustCompile(`"ExecutedVersion": "1"[\s\S]*"code":"v1","message":"Hello, prod!"`)},
		{"--routing-config '{\"AdditionalVersionWeights\":{\"2\":0.1}}'",
			regexp.MustCompile(`"AdditionalVersionWeights": \{\s*"2": 0\.1\s*\}`)},
		// invoke hello2:prod with the routing: version 1 or 2, and that version's code
		{"--payload '{\"name\":\"canary\"}' out.json && cat out.json", regexp.MustCompile(
			`"ExecutedVersion": "1"[\s\S]*"code":"v1","message":"Hello, canary!"|"ExecutedVersion": "2"[\s\S]*"code":"v2","message":"Hello, canary!"`)},
		{"list-versions-by-function --function-name hello2", regexp.MustCompile(`"Version": "1"[\s\S]*"Version": "2"`)},
		{"list-aliases --function-name hello2", regexp.MustCompile(`"Name": "prod"`)},
	}
	for _, tt := range tests {
		i := slices.IndexFunc(commands, func(c string) bool { return strings.HasSuffix(c, tt.command) })
		if i < 0 {
			t.Errorf("the README's block has no command ending with %s", tt.command)
			continue
		}
		if !tt.want.MatchString(outputs[i]) {
			t.Errorf("the output of %s does not match %s:\n%s", commands[i], tt.want, outputs[i])
		}
	}

	// What the block left: prod → 1 with 10 % on 2; versions keep their code; $LATEST has the new.
	var prod lambdaapi.AliasConfiguration
	l.apiJSON(t, http.MethodGet, "/2015-03-31/functions/hello2/aliases/prod", "", http.StatusOK, &prod)
	if prod.FunctionVersion != "1" || prod.RoutingConfig == nil || prod.RoutingConfig.AdditionalVersionWeights["2"] != 0.1 {
		t.Errorf("alias prod: %+v", prod)
	}
	for name, want := range map[string]string{"hello2:1": "v1", "hello2:2": "v2", "hello2": "v2"} {
		if _, code := l.ranCode(t, name); code != want {
			t.Errorf("%s runs code %q, want %q", name, code, want)
		}
	}
	var versions struct {
		Versions []lambdaapi.FunctionConfiguration
	}
	l.apiJSON(t, http.MethodGet, "/2015-03-31/functions/hello2/versions", "", http.StatusOK, &versions)
	var got []string
	for _, v := range versions.Versions {
		got = append(got, v.Version)
	}
	if fmt.Sprint(got) != "[$LATEST 1 2]" {
		t.Errorf("versions %v, want [$LATEST 1 2]", got)
	}
}

// continuation is a line continued on the next (with the next line's indentation).
var continuation = regexp.MustCompile(`\\\n\s*`)

// commandMark starts each command's output in the output of separated.
const commandMark = "@@@ command "

// shellCommands splits a block of shell into its commands: one a line once continuation lines
// are joined, without comments and blank lines.
func shellCommands(script string) []string {
	var out []string
	for _, line := range strings.Split(continuation.ReplaceAllString(script, " "), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// separated is a script that runs commands in order, printing a commandMark line with its index
// before each.
func separated(commands []string) string {
	var b strings.Builder
	for i, c := range commands {
		fmt.Fprintf(&b, "printf '\\n%s%d\\n'\n%s\n", commandMark, i, c)
	}
	return b.String()
}

// commandOutputs splits the output of separated into each command's.
func commandOutputs(t *testing.T, out string, n int) []string {
	t.Helper()
	outputs := make([]string, n)
	parts := strings.Split(out, "\n"+commandMark)
	for _, p := range parts[1:] {
		index, rest, _ := strings.Cut(p, "\n")
		i, err := strconv.Atoi(index)
		if err != nil || i < 0 || i >= n {
			t.Fatalf("bad command mark %q in the output", index)
		}
		outputs[i] = rest
	}
	return outputs
}

// readmeBlock returns the shell commands of the README's fenced block between the start and
// end markers.
func readmeBlock(t *testing.T, start, end string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), start)
	block, _, ok2 := strings.Cut(rest, end)
	if !ok || !ok2 {
		t.Fatalf("README.md has no block between %s and %s", start, end)
	}
	block = strings.TrimSpace(block)
	body, ok := strings.CutPrefix(block, "```sh\n")
	body, ok2 = strings.CutSuffix(body, "```")
	if !ok || !ok2 {
		t.Fatalf("the README's block between %s and %s is not one ```sh fence:\n%s", start, end, block)
	}
	return body
}
