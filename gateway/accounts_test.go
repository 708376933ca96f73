package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// apiErr asserts that err is an API error with status and code, whose message contains want.
func apiErr(t *testing.T, step string, err error, status int, code, want string) {
	t.Helper()
	var e *lambdaclient.APIError
	if !errors.As(err, &e) || e.Status != status || e.Code != code || !strings.Contains(e.Message, want) {
		t.Fatalf("%s: %v; want %d %s containing %q", step, err, status, code, want)
	}
}

// TestAccountsAndKeysAPI walks through the accounts and keys API as an admin and as an owner:
// creation, the secret shown once, listing, disabling (the key stops working), the owner's
// limits, Lambda's errors, and deletion.
func TestAccountsAndKeysAPI(t *testing.T) {
	env, dir := authEnv(t)
	ctx := context.Background()
	admin := env.Client

	acct, err := admin.CreateAccount(ctx, "team-a", nil)
	if err != nil || !tenant.ValidAccountID(acct.AccountID) || acct.Concurrency != 1000 || acct.Disabled || acct.Created == "" {
		t.Fatalf("CreateAccount: %+v, %v", acct, err)
	}
	_, err = admin.CreateAccount(ctx, "team-a", nil)
	apiErr(t, "same name", err, 409, "ResourceConflictException", "team-a")
	_, err = admin.CreateAccount(ctx, "bad name!", nil)
	apiErr(t, "bad name", err, 400, "InvalidParameterValueException", "'Name'")
	low := 5
	_, err = admin.CreateAccount(ctx, "team-low", &low)
	apiErr(t, "low concurrency", err, 400, "InvalidParameterValueException", "'Concurrency'")
	two := 200
	acctB, err := admin.CreateAccount(ctx, "team-b", &two)
	if err != nil || acctB.Concurrency != 200 {
		t.Fatalf("CreateAccount with concurrency: %+v %v", acctB, err)
	}
	accounts, err := admin.ListAccounts(ctx)
	if err != nil || len(accounts) != 3 { // the admin account (from the admin key) and two
		t.Fatalf("ListAccounts: %+v %v", accounts, err)
	}

	ownerKey, err := admin.CreateKey(ctx, lambdaapi.CreateKeyInput{AccountID: acct.AccountID, Role: "owner"})
	if err != nil || len(ownerKey.SecretAccessKey) != 40 || !tenant.ValidKeyID(ownerKey.AccessKeyID) ||
		ownerKey.AccountID != acct.AccountID || ownerKey.Role != "owner" {
		t.Fatalf("CreateKey: %+v %v", ownerKey, err)
	}
	owner := env.SignedClient(&tenant.Key{ID: ownerKey.AccessKeyID, Secret: ownerKey.SecretAccessKey})

	// The owner works inside its account.
	inv, err := owner.CreateKey(ctx, lambdaapi.CreateKeyInput{Functions: []string{"img-*", "f1"}})
	if err != nil || inv.Role != "invoke" || inv.AccountID != acct.AccountID || len(inv.Functions) != 2 || inv.SecretAccessKey == "" {
		t.Fatalf("owner CreateKey: %+v %v", inv, err)
	}
	keys, err := owner.ListKeys(ctx, "")
	if err != nil || len(keys) != 2 {
		t.Fatalf("owner ListKeys: %+v %v", keys, err)
	}
	for _, k := range keys {
		if k.SecretAccessKey != "" {
			t.Fatal("ListKeys shows a secret")
		}
	}

	steps := []struct {
		name   string
		do     func() error
		status int
		code   string
		msg    string
	}{
		{"owner cannot make admin keys", func() error {
			_, err := owner.CreateKey(ctx, lambdaapi.CreateKeyInput{Role: "admin"})
			return err
		}, 400, "InvalidParameterValueException", "'Role'"},
		{"owner cannot make keys elsewhere", func() error {
			_, err := owner.CreateKey(ctx, lambdaapi.CreateKeyInput{AccountID: acctB.AccountID})
			return err
		}, 403, "AccessDeniedException", "lambdock:CreateKey"},
		{"owner cannot list other keys", func() error { _, err := owner.ListKeys(ctx, acctB.AccountID); return err },
			403, "AccessDeniedException", "lambdock:ListKeys"},
		{"owner cannot touch the admin's key", func() error { _, err := owner.SetKeyDisabled(ctx, env.Admin.ID, true); return err },
			404, "ResourceNotFoundException", "Key not found: " + env.Admin.ID},
		{"functions only for invoke keys", func() error {
			_, err := admin.CreateKey(ctx, lambdaapi.CreateKeyInput{AccountID: acct.AccountID, Role: "owner", Functions: []string{"a"}})
			return err
		}, 400, "InvalidParameterValueException", "'Functions'"},
		{"bad function pattern", func() error {
			_, err := admin.CreateKey(ctx, lambdaapi.CreateKeyInput{AccountID: acct.AccountID, Functions: []string{"a*b"}})
			return err
		}, 400, "InvalidParameterValueException", "'Functions'"},
		{"bad role", func() error {
			_, err := admin.CreateKey(ctx, lambdaapi.CreateKeyInput{Role: "root"})
			return err
		}, 400, "InvalidParameterValueException", "'Role'"},
		{"admin keys only in the admin account", func() error {
			_, err := admin.CreateKey(ctx, lambdaapi.CreateKeyInput{AccountID: acct.AccountID, Role: "admin"})
			return err
		}, 400, "InvalidParameterValueException", "'Role'"},
		{"key in unknown account", func() error {
			_, err := admin.CreateKey(ctx, lambdaapi.CreateKeyInput{AccountID: "999999999999"})
			return err
		}, 404, "ResourceNotFoundException", "Account not found: 999999999999"},
		{"unknown account", func() error { _, err := admin.GetAccount(ctx, "999999999999"); return err },
			404, "ResourceNotFoundException", "Account not found"},
		{"malformed account id", func() error { _, err := admin.GetAccount(ctx, "12"); return err },
			400, "InvalidParameterValueException", "'AccountId'"},
		{"unknown key", func() error { return admin.DeleteKey(ctx, "AKIAAAAAAAAAAAAAAAAA") },
			404, "ResourceNotFoundException", "Key not found"},
		{"account with keys cannot go", func() error { return admin.DeleteAccount(ctx, acct.AccountID) },
			409, "ResourceConflictException", "still owns"},
		{"admin account cannot be disabled", func() error {
			off := true
			_, err := admin.UpdateAccount(ctx, tenant.AdminAccountID, lambdaapi.UpdateAccountInput{Disabled: &off})
			return err
		}, 409, "ResourceConflictException", "admin account"},
	}
	for _, st := range steps {
		apiErr(t, st.name, st.do(), st.status, st.code, st.msg)
	}

	// Disabling the invoke key makes it unrecognized; enabling brings it back.
	invClient := env.SignedClient(&tenant.Key{ID: inv.AccessKeyID, Secret: inv.SecretAccessKey})
	if k, err := owner.SetKeyDisabled(ctx, inv.AccessKeyID, true); err != nil || !k.Disabled {
		t.Fatalf("disable: %+v %v", k, err)
	}
	_, err = invClient.Invoke(ctx, &lambdaclient.InvokeInput{FunctionName: "img-1"})
	apiErr(t, "disabled key", err, 403, "UnrecognizedClientException", "security token")
	if _, err := owner.SetKeyDisabled(ctx, inv.AccessKeyID, false); err != nil {
		t.Fatal(err)
	}
	_, err = invClient.Invoke(ctx, &lambdaclient.InvokeInput{FunctionName: "img-1"})
	apiErr(t, "enabled key reaches the function lookup", err, 404, "ResourceNotFoundException", "img-1")

	// Disabling the account turns its keys away; admin changes its concurrency (the in-memory
	// directory can).
	off, conc := true, 300
	a, err := admin.UpdateAccount(ctx, acct.AccountID, lambdaapi.UpdateAccountInput{Disabled: &off, Concurrency: &conc})
	if err != nil || !a.Disabled || a.Concurrency != 300 {
		t.Fatalf("UpdateAccount: %+v %v", a, err)
	}
	_, err = owner.ListKeys(ctx, "")
	apiErr(t, "disabled account", err, 403, "UnrecognizedClientException", "security token")

	// Delete the keys, then the account.
	for _, id := range []string{inv.AccessKeyID, ownerKey.AccessKeyID} {
		if err := admin.DeleteKey(ctx, id); err != nil {
			t.Fatalf("DeleteKey %s: %v", id, err)
		}
	}
	if err := admin.DeleteAccount(ctx, acct.AccountID); err != nil {
		t.Fatal(err)
	}
	if _, err := dir.GetAccount(ctx, acct.AccountID); !errors.Is(err, tenant.ErrNotFound) {
		t.Errorf("account still there: %v", err)
	}
	all, err := admin.ListKeys(ctx, "*")
	if err != nil || len(all) != 1 || all[0].AccessKeyID != env.Admin.ID {
		t.Errorf("admin ListKeys(*): %+v %v", all, err)
	}
}

// TestAccountsAPIWithoutDirectory: a gateway without a directory (authentication off, no
// accounts) answers the API with 404 UnknownOperation.
func TestAccountsAPIWithoutDirectory(t *testing.T) {
	env := gatewaytest.New(t)
	resp, body := do(t, env, call{method: http.MethodGet, path: "/lambdock/v1/accounts"})
	if resp.StatusCode != 404 || resp.Header.Get(lambdaapi.HeaderErrorType) != "UnknownOperationException" {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
}
