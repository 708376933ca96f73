package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
	"github.com/lambdock/lambdock/internal/testsupport/testtree"
)

// TestProvisionCommand sets, shows, waits for, lists and removes provisioned concurrency with
// `lambdock provision`, against an in-process gateway (the status is written as the
// controller's provisioner writes it).
func TestProvisionCommand(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{"lambdock.yaml": "name: pc\nbuild: none\n", "bootstrap*": "#!/bin/sh\n"})
	if _, err := cli.Deploy(ctx, env.Client, dir, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.DB.PublishVersion(ctx, tenant.AdminAccountID, "pc", store.PublishInput{}); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.CreateAlias(ctx, &store.Alias{AccountID: tenant.AdminAccountID, FunctionName: "pc", Name: "prod",
		FunctionVersion: "1"}, nil); err != nil {
		t.Fatal(err)
	}
	ready := func() {
		if _, err := env.DB.SetProvisionedStatus(ctx, tenant.AdminAccountID, "pc", "prod", 2, 2, lambdaapi.ProvisionedReady, ""); err != nil {
			t.Error(err)
		}
	}
	tests := []struct {
		name   string
		args   []string
		before func()
		code   int
		out    string // in stdout (or stderr when code != 0)
	}{
		{"set", []string{"provision", "pc:prod", "2"}, nil, 0, "pc:prod: IN_PROGRESS, 0 of 2 provisioned environments allocated"},
		{"show and wait", []string{"provision", "pc:prod", "--wait", "30s"}, ready, 0, "pc:prod: READY, 2 of 2"},
		{"list", []string{"provision", "pc"}, nil, 0, "prod       2          2          READY"},
		{"list as JSON", []string{"provision", "pc", "-o", "json"}, nil, 0, `"FunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:pc:prod"`},
		{"$LATEST", []string{"provision", "pc:$LATEST", "1"}, nil, 1, "unpublished function versions"},
		{"zero", []string{"provision", "pc:prod", "0"}, nil, 1, "whole number ≥ 1"},
		{"no qualifier", []string{"provision", "pc", "1"}, nil, 1, "name the version or alias"},
		{"delete", []string{"provision", "pc:prod", "--delete"}, nil, 0, "Removed the provisioned concurrency of pc:prod"},
		{"gone", []string{"provision", "pc:prod"}, nil, 1, "No Provisioned Concurrency Config found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			code, out, errOut := run(t, env, "", tt.args...)
			where := out
			if tt.code != 0 {
				where = errOut
			}
			if code != tt.code || !strings.Contains(where, tt.out) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d with %q", code, out, errOut, tt.code, tt.out)
			}
		})
	}
}
