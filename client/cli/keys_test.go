package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// useKey makes the CLI find id/secret in the environment, and nothing in any credentials file.
func useKey(t *testing.T, id, secret string) {
	t.Setenv("AWS_ACCESS_KEY_ID", id)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("LAMBDOCK_DATA_DIR", t.TempDir())
}

// TestAccountsAndKeysCLI walks through the accounts and keys commands against a gateway with
// authentication on, as the admin and as an owner.
func TestAccountsAndKeysCLI(t *testing.T) {
	env := gatewaytest.New(t, gatewaytest.Auth(nil))
	useKey(t, env.Admin.ID, env.Admin.Secret)

	code, out, errOut := run(t, env, "", "accounts", "create", "team-a", "--concurrency", "200", "-o", "json")
	var acct lambdaapi.Account
	if code != 0 || json.Unmarshal([]byte(out), &acct) != nil || acct.Name != "team-a" || acct.Concurrency != 200 {
		t.Fatalf("accounts create: %d %s %s", code, out, errOut)
	}
	code, out, _ = run(t, env, "", "accounts", "list")
	if code != 0 || !strings.Contains(out, acct.AccountID) || !strings.Contains(out, "team-a") || !strings.Contains(out, "enabled") {
		t.Fatalf("accounts list: %d %s", code, out)
	}
	code, out, errOut = run(t, env, "", "keys", "create", "--account", acct.AccountID, "--role", "owner", "-o", "json")
	var owner lambdaapi.AccessKey
	if code != 0 || json.Unmarshal([]byte(out), &owner) != nil || owner.SecretAccessKey == "" || owner.Role != "owner" {
		t.Fatalf("keys create: %d %s %s", code, out, errOut)
	}

	// As the owner.
	useKey(t, owner.AccessKeyID, owner.SecretAccessKey)
	code, out, errOut = run(t, env, "", "keys", "create", "--functions", "img-*,f1")
	if code != 0 || !strings.Contains(out, "Created invoke key AKIA") || !strings.Contains(out, "functions img-*,f1") ||
		!strings.Contains(out, "aws_secret_access_key = ") {
		t.Fatalf("owner keys create: %d %s %s", code, out, errOut)
	}
	invokeID := strings.Fields(strings.SplitN(out, "key ", 2)[1])[0]
	code, out, _ = run(t, env, "", "keys", "list")
	if code != 0 || !strings.Contains(out, owner.AccessKeyID) || !strings.Contains(out, invokeID) ||
		strings.Contains(out, owner.SecretAccessKey) || !strings.Contains(out, "img-*,f1") {
		t.Fatalf("owner keys list: %d %s", code, out)
	}
	code, _, errOut = run(t, env, "", "accounts", "list")
	if code != 1 || !strings.Contains(errOut, "AccessDeniedException (HTTP 403): User: arn:aws:iam::"+acct.AccountID+":user/"+
		owner.AccessKeyID+" is not authorized to perform: lambdock:ListAccounts") {
		t.Fatalf("owner accounts list: %d %s", code, errOut)
	}
	for _, step := range []struct{ args, want string }{
		{"keys disable " + invokeID, "Key " + invokeID + " is disabled"},
		{"keys enable " + invokeID, "Key " + invokeID + " is enabled"},
		{"keys delete " + invokeID, "Deleted key " + invokeID},
	} {
		if code, out, errOut := run(t, env, "", strings.Fields(step.args)...); code != 0 || !strings.Contains(out, step.want) {
			t.Fatalf("%s: %d %s %s", step.args, code, out, errOut)
		}
	}

	// Back as the admin: the account goes once its key is gone.
	useKey(t, env.Admin.ID, env.Admin.Secret)
	code, _, errOut = run(t, env, "", "accounts", "delete", acct.AccountID)
	if code != 1 || !strings.Contains(errOut, "ResourceConflictException") {
		t.Fatalf("delete non-empty account: %d %s", code, errOut)
	}
	for _, args := range []string{"accounts disable " + acct.AccountID, "keys delete " + owner.AccessKeyID,
		"accounts delete " + acct.AccountID} {
		if code, out, errOut := run(t, env, "", strings.Fields(args)...); code != 0 {
			t.Fatalf("%s: %d %s %s", args, code, out, errOut)
		}
	}

	// Without any credentials the request goes unsigned and is refused.
	useKey(t, "", "")
	code, _, errOut = run(t, env, "", "list")
	if code != 1 || !strings.Contains(errOut, "MissingAuthenticationTokenException") {
		t.Fatalf("unsigned: %d %s", code, errOut)
	}

	// lambdockd's credentials file in the data directory, profile lambdock, is found by itself.
	dataDir := t.TempDir()
	lambdockd := "[lambdock]\naws_access_key_id = " + env.Admin.ID + "\naws_secret_access_key = " + env.Admin.Secret + "\n"
	if err := os.WriteFile(filepath.Join(dataDir, "credentials"), []byte(lambdockd), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LAMBDOCK_DATA_DIR", dataDir)
	if code, out, errOut := run(t, env, "", "accounts", "list"); code != 0 || !strings.Contains(out, "000000000000") {
		t.Fatalf("lambdockd's credentials file: %d %s %s", code, out, errOut)
	}

	// --profile reads the AWS shared credentials file.
	file := filepath.Join(t.TempDir(), "credentials")
	content := "[ops]\naws_access_key_id = " + env.Admin.ID + "\naws_secret_access_key = " + env.Admin.Secret + "\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", file)
	if code, out, errOut := run(t, env, "", "--profile", "ops", "accounts", "list", "-o", "json"); code != 0 ||
		!strings.Contains(out, `"Accounts"`) {
		t.Fatalf("--profile: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := run(t, env, "", "--profile", "nope", "list"); code != 1 || !strings.Contains(errOut, `profile "nope"`) {
		t.Fatalf("unknown profile: %d %s", code, errOut)
	}
}
