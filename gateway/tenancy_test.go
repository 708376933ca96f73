package gateway_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// Two accounts each see only their own functions; the same name exists in both; one account
// cannot read, change, invoke or delete the other's function: 404 exactly like a missing one.
func TestAccountsAreIsolated(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	a, b := twoAccounts(t, env)
	create := func(c *lambdaclient.Client, name string, mem int) *lambdaapi.FunctionConfiguration {
		t.Helper()
		var in lambdaapi.CreateFunctionInput
		if err := json.Unmarshal(createBody(t, name, func(m map[string]any) { m["MemorySize"] = mem }), &in); err != nil {
			t.Fatal(err)
		}
		out, err := c.CreateFunction(ctx, &in)
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return out
	}
	sameA, sameB := create(a, "same", 128), create(b, "same", 256)
	create(a, "only-a", 128)
	if want := "arn:aws:lambda:us-east-1:" + idA + ":function:same"; sameA.FunctionArn != want {
		t.Errorf("account A's FunctionArn = %s, want %s", sameA.FunctionArn, want)
	}
	if want := "arn:aws:lambda:us-east-1:" + idB + ":function:same"; sameB.FunctionArn != want {
		t.Errorf("account B's FunctionArn = %s, want %s", sameB.FunctionArn, want)
	}

	lists := []struct {
		client *lambdaclient.Client
		want   string
	}{
		{a, "only-a,same"}, {b, "same"}, {env.Client, ""}, // no caller: the admin account
	}
	for _, l := range lists {
		out, err := l.client.ListFunctions(ctx, "", 50)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range out.Functions {
			names = append(names, f.FunctionName)
		}
		if got := strings.Join(names, ","); got != l.want {
			t.Errorf("ListFunctions = %q, want %q", got, l.want)
		}
	}
	if got, err := b.GetFunction(ctx, "same"); err != nil || got.Configuration.MemorySize != 256 {
		t.Fatalf("B's GetFunction(same) = %+v, %v; want B's own (256 MB)", got, err)
	}

	seen := env.Respond(t, func(inv msg.Invocation) msg.InvocationReply {
		return msg.InvocationReply{Payload: []byte(`"` + inv.Function.AccountID + `"`), ExecutedVersion: "$LATEST"}
	})
	out, err := b.Invoke(ctx, &lambdaclient.InvokeInput{FunctionName: "same"})
	if err != nil || string(out.Payload) != `"`+idB+`"` {
		t.Fatalf("B's invoke = %+v, %v", out, err)
	}
	inv := <-seen
	if inv.Function.AccountID != idB || inv.Function.MemoryMB != 256 ||
		inv.InvokedFunctionArn != "arn:aws:lambda:us-east-1:"+idB+":function:same" {
		t.Fatalf("B's invocation: account %s, memory %d, ARN %s", inv.Function.AccountID, inv.Function.MemoryMB, inv.InvokedFunctionArn)
	}

	foreign := []struct {
		name string
		call func() error
	}{
		{"get", func() error { _, err := b.GetFunction(ctx, "only-a"); return err }},
		{"get configuration", func() error { _, err := b.GetFunctionConfiguration(ctx, "only-a"); return err }},
		{"get by A's ARN", func() error {
			_, err := b.GetFunction(ctx, "arn:aws:lambda:us-east-1:"+idA+":function:same")
			return err
		}},
		{"get by A's partial ARN", func() error { _, err := b.GetFunction(ctx, idA+":function:same"); return err }},
		{"update configuration", func() error {
			d := "x"
			_, err := b.UpdateFunctionConfiguration(ctx, "only-a", &lambdaapi.UpdateFunctionConfigurationInput{Description: &d})
			return err
		}},
		{"invoke", func() error {
			_, err := b.Invoke(ctx, &lambdaclient.InvokeInput{FunctionName: "only-a"})
			return err
		}},
		{"invoke by A's ARN", func() error {
			_, err := b.Invoke(ctx, &lambdaclient.InvokeInput{FunctionName: "arn:aws:lambda:us-east-1:" + idA + ":function:same"})
			return err
		}},
		{"put concurrency", func() error { return b.PutConcurrency(ctx, "only-a", 1) }},
		{"get concurrency", func() error { _, err := b.GetConcurrency(ctx, "only-a"); return err }},
		{"delete", func() error { return b.DeleteFunction(ctx, "only-a") }},
		{"admin (no caller) gets A's", func() error { _, err := env.Client.GetFunction(ctx, "only-a"); return err }},
	}
	for _, f := range foreign {
		t.Run(f.name, func(t *testing.T) {
			if err := f.call(); !lambdaclient.IsNotFound(err) {
				t.Fatalf("err = %v, want ResourceNotFoundException", err)
			}
		})
	}
	// B's own ARN works; A's function is untouched by B's attempts.
	if _, err := b.GetFunction(ctx, "arn:aws:lambda:us-east-1:"+idB+":function:same"); err != nil {
		t.Fatalf("B's GetFunction by its own ARN: %v", err)
	}
	if got, err := a.GetFunction(ctx, "only-a"); err != nil || got.Configuration.Description != "" {
		t.Fatalf("A's only-a after B's attempts = %+v, %v", got, err)
	}
	if err := b.DeleteFunction(ctx, "same"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetFunction(ctx, "same"); err != nil {
		t.Fatalf("B deleting its same deleted A's: %v", err)
	}
}

// Reservations count against the caller's account's own limit.
func TestReservationsArePerAccount(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	const small = "333333333333"
	if err := env.DB.CreateAccount(ctx, &tenant.Account{ID: small, Name: "small", Concurrency: 150}); err != nil {
		t.Fatal(err)
	}
	c := env.ClientFor(small)
	createFunction(t, env, "f") // the admin account's f
	var in lambdaapi.CreateFunctionInput
	if err := json.Unmarshal(createBody(t, "f", nil), &in); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFunction(ctx, &in); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		client *lambdaclient.Client
		n      int
		ok     bool
	}{
		{"within the small account's 150 - 100", c, 50, true},
		{"over the small account's 150 - 100", c, 51, false},
		{"the admin account has its own 1000 - 100", env.Client, 900, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.client.PutConcurrency(ctx, "f", tt.n)
			if tt.ok && err != nil || !tt.ok && !strings.Contains(errString(err), "UnreservedConcurrentExecution") {
				t.Fatalf("PutConcurrency(%d) = %v, want ok %v", tt.n, err, tt.ok)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// A package is served only to an account with a function of that code.
func TestCodeIsServedToItsAccountOnly(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	twoAccounts(t, env)
	var in lambdaapi.CreateFunctionInput
	body := createBody(t, "secret-code", func(m map[string]any) {
		m["Code"] = map[string]any{"ZipFile": gatewaytest.Zip(t, map[string]string{"bootstrap": "#!/bin/sh\n# only A's\n"})}
	})
	if err := json.Unmarshal(body, &in); err != nil {
		t.Fatal(err)
	}
	if _, err := env.ClientFor(idA).CreateFunction(ctx, &in); err != nil {
		t.Fatal(err)
	}
	got, err := env.ClientFor(idA).GetFunction(ctx, "secret-code")
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(got.Code.Location, env.URL)
	tests := []struct {
		name   string
		header map[string]string
		status int
	}{
		{"the owner", map[string]string{gatewaytest.HeaderTestAccount: idA}, 200},
		{"another account", map[string]string{gatewaytest.HeaderTestAccount: idB}, 404},
		{"the admin account (no caller)", nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := do(t, env, call{method: "GET", path: path, header: tt.header})
			if resp.StatusCode != tt.status {
				t.Fatalf("GET %s: %d %s, want %d", path, resp.StatusCode, b, tt.status)
			}
		})
	}
}
