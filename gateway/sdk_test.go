package gateway_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// sdkClient is the real aws-sdk-go-v2 Lambda client pointed at env, with any credentials and
// no retries (so that a throttle surfaces at once).
func sdkClient(env *gatewaytest.Env) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(env.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
		}),
		RetryMaxAttempts: 1,
	})
}

// TestAWSSDK drives the gateway with the real AWS SDK: management calls, waiters, paginator,
// invoke (success, function error, log tail, dry run) and typed errors.
func TestAWSSDK(t *testing.T) {
	env := gatewaytest.New(t)
	env.Respond(t, controller)
	sdk := sdkClient(env)
	ctx := context.Background()
	zip := gatewaytest.Zip(t, map[string]string{"bootstrap": "#!/bin/sh\n"})

	created, err := sdk.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("sdk"),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Role:         aws.String("arn:aws:iam::000000000000:role/x"),
		Code:         &types.FunctionCode{ZipFile: zip},
		Environment:  &types.Environment{Variables: map[string]string{"A_B": "1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.State != types.StateActive || created.LastUpdateStatus != types.LastUpdateStatusSuccessful ||
		aws.ToInt32(created.MemorySize) != 128 || created.LastModified == nil || created.Environment.Variables["A_B"] != "1" {
		t.Errorf("created %+v", created)
	}

	// Waiters return at once because State and LastUpdateStatus are final.
	get := &lambda.GetFunctionInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:000000000000:function:sdk")}
	if err := lambda.NewFunctionActiveV2Waiter(sdk).Wait(ctx, get, 10*time.Second); err != nil {
		t.Errorf("FunctionActiveV2 waiter: %v", err)
	}
	if _, err := sdk.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("sdk"), MemorySize: aws.Int32(256),
	}); err != nil {
		t.Fatal(err)
	}
	if err := lambda.NewFunctionUpdatedV2Waiter(sdk).Wait(ctx, get, 10*time.Second); err != nil {
		t.Errorf("FunctionUpdatedV2 waiter: %v", err)
	}
	if _, err := sdk.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("sdk"), ZipFile: zip}); err != nil {
		t.Fatal(err)
	}
	fn, err := sdk.GetFunction(ctx, get)
	if err != nil || aws.ToInt32(fn.Configuration.MemorySize) != 256 || aws.ToString(fn.Code.RepositoryType) != "S3" {
		t.Errorf("GetFunction = %+v, %v", fn, err)
	}

	createFunction(t, env, "other")
	var names []string
	for p := lambda.NewListFunctionsPaginator(sdk, &lambda.ListFunctionsInput{MaxItems: aws.Int32(1)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Functions {
			names = append(names, aws.ToString(f.FunctionName))
		}
	}
	if strings.Join(names, ",") != "other,sdk" {
		t.Errorf("paginated %v", names)
	}

	out, err := sdk.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sdk"), Payload: []byte(`{"mode":"ok"}`), LogType: types.LogTypeTail})
	if err != nil || out.StatusCode != 200 || string(out.Payload) != `{"mode":"ok"}` || out.FunctionError != nil ||
		aws.ToString(out.ExecutedVersion) != "$LATEST" || aws.ToString(out.LogResult) == "" {
		t.Errorf("invoke = %+v, %v", out, err)
	}
	out, err = sdk.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sdk"), Payload: []byte(`{"mode":"error"}`)})
	if err != nil || out.StatusCode != 200 || aws.ToString(out.FunctionError) != "Unhandled" {
		t.Errorf("invoke with function error = %+v, %v", out, err)
	}
	out, err = sdk.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sdk"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || out.StatusCode != 204 {
		t.Errorf("dry run = %+v, %v", out, err)
	}
	out, err = sdk.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sdk"), InvocationType: types.InvocationTypeEvent,
		Payload: []byte(`{"mode":"ok"}`)})
	if err != nil || out.StatusCode != 202 || len(out.Payload) != 0 {
		t.Errorf("Event invoke = %+v, %v", out, err)
	}
	_, err = sdk.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sdk"), InvocationType: types.InvocationTypeEvent,
		Payload: make([]byte, rules.MaxEventPayload+1)})
	var tooLarge smithy.APIError
	if !errors.As(err, &tooLarge) || tooLarge.ErrorCode() != lambdaerr.CodeRequestTooLarge ||
		!strings.Contains(tooLarge.ErrorMessage(), "too large for the Event invocation type") {
		t.Errorf("oversize Event: %v", err)
	}

	if _, err := sdk.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("sdk"), ReservedConcurrentExecutions: aws.Int32(7),
	}); err != nil {
		t.Fatal(err)
	}
	conc, err := sdk.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("sdk")})
	if err != nil || aws.ToInt32(conc.ReservedConcurrentExecutions) != 7 {
		t.Errorf("GetFunctionConcurrency = %+v, %v", conc, err)
	}
	if _, err := sdk.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("sdk")}); err != nil {
		t.Fatal(err)
	}

	// Typed errors.
	_, err = sdk.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || !strings.Contains(aws.ToString(nf.Message), "function:nope") {
		t.Errorf("unknown function: %v", err)
	}
	_, err = sdk.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("sdk"), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: zip}})
	var conflict *types.ResourceConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("duplicate: %v", err)
	}
	_, err = sdk.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("sdk"), Timeout: aws.Int32(0)})
	var invalid *types.InvalidParameterValueException
	if !errors.As(err, &invalid) || !strings.Contains(aws.ToString(invalid.Message), "'Timeout'") {
		t.Errorf("Timeout 0: %v", err)
	}
	_, err = sdk.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sdk"), Payload: []byte(`{"mode":"throttle"}`)})
	var throttled *types.TooManyRequestsException
	if !errors.As(err, &throttled) || throttled.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
		t.Errorf("throttle: %v", err)
	}
	_, err = sdk.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sdk"), Payload: []byte(`not json`)})
	var badContent *types.InvalidRequestContentException
	if !errors.As(err, &badContent) {
		t.Errorf("bad JSON: %v", err)
	}
	_, err = sdk.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sdk"), Payload: make([]byte, rules.MaxInvokeRequest+1)})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != lambdaerr.CodeRequestTooLarge {
		t.Errorf("oversize: %v", err)
	}

	if _, err := sdk.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("sdk")}); err != nil {
		t.Fatal(err)
	}
}
