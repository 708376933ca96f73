package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// publishWithAlias publishes $LATEST of the function as a version through the store and points
// alias at it (the versions API is tested on its own).
func publishWithAlias(t *testing.T, env *gatewaytest.Env, fn, alias string, weights map[string]float64) {
	t.Helper()
	ctx := context.Background()
	v, _, err := env.DB.PublishVersion(ctx, tenant.AdminAccountID, fn, store.PublishInput{})
	if err != nil {
		t.Fatal(err)
	}
	if alias == "" {
		return
	}
	if err := env.DB.CreateAlias(ctx, &store.Alias{AccountID: tenant.AdminAccountID, FunctionName: fn, Name: alias,
		FunctionVersion: v.VersionName(), Weights: weights}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestProvisionedConcurrencyAWSSDK drives the provisioned concurrency API with the real AWS
// SDK: Put (202, IN_PROGRESS), Get, List (and its paginator), Delete (idempotent), and Lambda's
// errors with their exact messages.
func TestProvisionedConcurrencyAWSSDK(t *testing.T) {
	env := gatewaytest.New(t)
	sdk := sdkClient(env)
	ctx := context.Background()
	createFunction(t, env, "pc")
	publishWithAlias(t, env, "pc", "prod", nil) // version 1, prod → 1
	createFunction(t, env, "pc-latest")
	if err := env.DB.CreateAlias(ctx, &store.Alias{AccountID: tenant.AdminAccountID, FunctionName: "pc-latest",
		Name: "live", FunctionVersion: "$LATEST"}, nil); err != nil {
		t.Fatal(err)
	}
	createFunction(t, env, "pc-reserved")
	publishWithAlias(t, env, "pc-reserved", "", nil)
	if _, err := sdk.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("pc-reserved"),
		ReservedConcurrentExecutions: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}

	before := time.Now().Add(-time.Second)
	put, err := sdk.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String("pc"), Qualifier: aws.String("prod"), ProvisionedConcurrentExecutions: aws.Int32(3)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(put.RequestedProvisionedConcurrentExecutions) != 3 || aws.ToInt32(put.AllocatedProvisionedConcurrentExecutions) != 0 ||
		aws.ToInt32(put.AvailableProvisionedConcurrentExecutions) != 0 || put.Status != types.ProvisionedConcurrencyStatusEnumInProgress {
		t.Fatalf("put = %+v", put)
	}
	if mod, err := time.Parse("2006-01-02T15:04:05-0700", aws.ToString(put.LastModified)); err != nil || mod.Before(before) {
		t.Fatalf("LastModified %q: %v", aws.ToString(put.LastModified), err)
	}
	got, err := sdk.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{
		FunctionName: aws.String("arn:aws:lambda:us-east-1:000000000000:function:pc"), Qualifier: aws.String("prod")})
	if err != nil || aws.ToInt32(got.RequestedProvisionedConcurrentExecutions) != 3 || got.Status != types.ProvisionedConcurrencyStatusEnumInProgress {
		t.Fatalf("get = %+v, %v", got, err)
	}
	// The provisioner's progress shows (what controller/provision.go writes).
	if _, err := env.DB.SetProvisionedStatus(ctx, tenant.AdminAccountID, "pc", "prod", 3, 3, lambdaapi.ProvisionedReady, ""); err != nil {
		t.Fatal(err)
	}
	if got, err = sdk.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{
		FunctionName: aws.String("pc"), Qualifier: aws.String("prod")}); err != nil || got.Status != types.ProvisionedConcurrencyStatusEnumReady ||
		aws.ToInt32(got.AvailableProvisionedConcurrentExecutions) != 3 || aws.ToInt32(got.AllocatedProvisionedConcurrentExecutions) != 3 {
		t.Fatalf("get after READY = %+v, %v", got, err)
	}
	publishWithAlias(t, env, "pc", "", nil) // the same $LATEST: version 1 again
	if _, err := sdk.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String("pc-reserved"), Qualifier: aws.String("1"), ProvisionedConcurrentExecutions: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}

	var listed []string
	pages := lambda.NewListProvisionedConcurrencyConfigsPaginator(sdk, &lambda.ListProvisionedConcurrencyConfigsInput{
		FunctionName: aws.String("pc"), MaxItems: aws.Int32(1)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.ProvisionedConcurrencyConfigs {
			listed = append(listed, aws.ToString(it.FunctionArn))
		}
	}
	if len(listed) != 1 || listed[0] != "arn:aws:lambda:us-east-1:000000000000:function:pc:prod" {
		t.Fatalf("listed %v", listed)
	}

	tests := []struct {
		name   string
		call   func() error
		status int
		code   string
		msg    string
	}{
		{"put on $LATEST", func() error {
			_, err := sdk.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
				FunctionName: aws.String("pc"), Qualifier: aws.String("$LATEST"), ProvisionedConcurrentExecutions: aws.Int32(1)})
			return err
		}, 400, "InvalidParameterValueException", "Provisioned Concurrency Configs cannot be applied to unpublished function versions."},
		{"put on an alias of $LATEST", func() error {
			_, err := sdk.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
				FunctionName: aws.String("pc-latest"), Qualifier: aws.String("live"), ProvisionedConcurrentExecutions: aws.Int32(1)})
			return err
		}, 400, "InvalidParameterValueException", "Provisioned Concurrency Configs cannot be applied to unpublished function versions."},
		{"get on $LATEST", func() error {
			_, err := sdk.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{
				FunctionName: aws.String("pc"), Qualifier: aws.String("$LATEST")})
			return err
		}, 400, "InvalidParameterValueException", "The function resource provided must be an alias or a published version."},
		{"put 0", func() error {
			_, err := sdk.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
				FunctionName: aws.String("pc"), Qualifier: aws.String("prod"), ProvisionedConcurrentExecutions: aws.Int32(0)})
			return err
		}, 400, "ValidationException", "1 validation error detected: Value '0' at 'provisionedConcurrentExecutions' " +
			"failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"missing version", func() error {
			_, err := sdk.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
				FunctionName: aws.String("pc"), Qualifier: aws.String("9"), ProvisionedConcurrentExecutions: aws.Int32(1)})
			return err
		}, 404, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:000000000000:function:pc:9"},
		{"missing alias", func() error {
			_, err := sdk.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{
				FunctionName: aws.String("pc"), Qualifier: aws.String("beta")})
			return err
		}, 404, "ResourceNotFoundException", "Cannot find alias arn: arn:aws:lambda:us-east-1:000000000000:function:pc:beta"},
		{"missing function", func() error {
			_, err := sdk.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
				FunctionName: aws.String("nope"), Qualifier: aws.String("1"), ProvisionedConcurrentExecutions: aws.Int32(1)})
			return err
		}, 404, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"},
		{"no config on the version", func() error {
			_, err := sdk.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{
				FunctionName: aws.String("pc"), Qualifier: aws.String("1")})
			return err
		}, 404, "ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function"},
		{"version under a provisioned alias", func() error {
			_, err := sdk.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
				FunctionName: aws.String("pc"), Qualifier: aws.String("1"), ProvisionedConcurrentExecutions: aws.Int32(1)})
			return err
		}, 409, "ResourceConflictException", "Version is pointed by a Provisioned Concurrency alias"},
		{"over the reservation", func() error {
			_, err := sdk.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
				FunctionName: aws.String("pc-reserved"), Qualifier: aws.String("1"), ProvisionedConcurrentExecutions: aws.Int32(6)})
			return err
		}, 400, "InvalidParameterValueException", "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"},
		{"a reservation below the provisioned concurrency", func() error {
			_, err := sdk.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("pc-reserved"),
				ReservedConcurrentExecutions: aws.Int32(4)})
			return err
		}, 400, "InvalidParameterValueException", " ReservedConcurrentExecutions  4 should not be lower than function's " +
			"total provisioned concurrency [5]."},
		{"over the account's pool", func() error {
			_, err := sdk.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
				FunctionName: aws.String("pc"), Qualifier: aws.String("prod"), ProvisionedConcurrentExecutions: aws.Int32(900)})
			return err
		}, 400, "InvalidParameterValueException", "Specified ConcurrentExecutions for function decreases account's " +
			"UnreservedConcurrentExecution below its minimum value of [100]."},
		// 1000 - 5 reserved - 3 provisioned of pc (without a reservation) leaves 892 to reserve.
		{"a reservation over the pool's provisioned concurrency", func() error {
			_, err := sdk.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("pc-latest"),
				ReservedConcurrentExecutions: aws.Int32(893)})
			return err
		}, 400, "InvalidParameterValueException", "Specified ReservedConcurrentExecutions for function decreases " +
			"account's UnreservedConcurrentExecution below its minimum value of [100]."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var api smithy.APIError
			var re interface{ HTTPStatusCode() int }
			if !errors.As(err, &api) || !errors.As(err, &re) {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
			if api.ErrorCode() != tt.code || api.ErrorMessage() != tt.msg || re.HTTPStatusCode() != tt.status {
				t.Fatalf("got %d %s %q, want %d %s %q", re.HTTPStatusCode(), api.ErrorCode(), api.ErrorMessage(),
					tt.status, tt.code, tt.msg)
			}
		})
	}

	// Delete is idempotent; the configuration is gone.
	for range 2 {
		if _, err := sdk.DeleteProvisionedConcurrencyConfig(ctx, &lambda.DeleteProvisionedConcurrencyConfigInput{
			FunctionName: aws.String("pc"), Qualifier: aws.String("prod")}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = sdk.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{
		FunctionName: aws.String("pc"), Qualifier: aws.String("prod")})
	var nf *types.ProvisionedConcurrencyConfigNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("get after delete: %v", err)
	}
	// Now the version may have its own.
	if _, err := sdk.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String("pc"), Qualifier: aws.String("1"), ProvisionedConcurrentExecutions: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	// …and the alias on it may not.
	_, err = sdk.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String("pc"), Qualifier: aws.String("prod"), ProvisionedConcurrentExecutions: aws.Int32(1)})
	var conflict *types.ResourceConflictException
	if !errors.As(err, &conflict) || aws.ToString(conflict.Message) !=
		"Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version" {
		t.Fatalf("alias over a provisioned version: %v", err)
	}
}

// The raw HTTP shapes: 202 on Put, the missing Qualifier, and List=ALL's route.
func TestProvisionedConcurrencyHTTP(t *testing.T) {
	env := gatewaytest.New(t)
	createFunction(t, env, "pch")
	publishWithAlias(t, env, "pch", "prod", nil)
	const path = "/2019-09-30/functions/pch/provisioned-concurrency"
	tests := []struct {
		name, method, query, body string
		status                    int
		code                      string
	}{
		{"put", http.MethodPut, "?Qualifier=prod", `{"ProvisionedConcurrentExecutions":2}`, http.StatusAccepted, ""},
		{"put without a qualifier", http.MethodPut, "", `{"ProvisionedConcurrentExecutions":2}`, 400, "ValidationException"},
		{"put without a number", http.MethodPut, "?Qualifier=prod", `{}`, 400, "ValidationException"},
		{"get", http.MethodGet, "?Qualifier=prod", "", 200, ""},
		{"list", http.MethodGet, "?List=ALL", "", 200, ""},
		{"list, bad MaxItems", http.MethodGet, "?List=ALL&MaxItems=51", "", 400, "InvalidParameterValueException"},
		{"delete", http.MethodDelete, "?Qualifier=prod", "", http.StatusNoContent, ""},
		// Version 1 exists, but "01" and "0" name no version (nor an alias, which cannot be digits).
		{"put on 01", http.MethodPut, "?Qualifier=01", `{"ProvisionedConcurrentExecutions":1}`, 404, "ResourceNotFoundException"},
		{"get on 01", http.MethodGet, "?Qualifier=01", "", 404, "ResourceNotFoundException"},
		{"delete on 01", http.MethodDelete, "?Qualifier=01", "", 404, "ResourceNotFoundException"},
		{"get on 0", http.MethodGet, "?Qualifier=0", "", 404, "ResourceNotFoundException"},
		{"delete on 0", http.MethodDelete, "?Qualifier=0", "", 404, "ResourceNotFoundException"},
		{"get on +1", http.MethodGet, "?Qualifier=%2B1", "", 400, "InvalidParameterValueException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			if tt.body != "" {
				body = []byte(tt.body)
			}
			resp, got := do(t, env, call{method: tt.method, path: path + tt.query, body: body})
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, got)
			}
			if tt.code != "" {
				wantError(t, resp, got, tt.status, tt.code, "")
			}
		})
	}
}
