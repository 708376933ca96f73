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

	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// TestEventInvokeConfigAWSSDK drives the event invoke config API with the real AWS SDK: Put,
// Get, Update, List (and its paginator), Delete, and typed errors; LastModified and
// DestinationConfig must decode.
func TestEventInvokeConfigAWSSDK(t *testing.T) {
	env := gatewaytest.New(t)
	sdk := sdkClient(env)
	ctx := context.Background()
	createFunction(t, env, "sdk-ev")
	createFunction(t, env, "next")
	const arn = "arn:aws:lambda:us-east-1:000000000000:function:sdk-ev:$LATEST"
	onFailure := "arn:aws:nats:us-east-1:000000000000:subject/orders.failed"
	onSuccess := "arn:aws:lambda:us-east-1:000000000000:function:next"

	_, err := sdk.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("sdk-ev")})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) || !strings.Contains(aws.ToString(notFound.Message), "doesn't have an EventInvokeConfig") {
		t.Fatalf("get before put: %v", err)
	}

	before := time.Now().Add(-time.Second)
	put, err := sdk.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName:             aws.String("sdk-ev"),
		Qualifier:                aws.String("$LATEST"),
		MaximumRetryAttempts:     aws.Int32(1),
		MaximumEventAgeInSeconds: aws.Int32(300),
		DestinationConfig:        &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(onFailure)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.FunctionArn) != arn || aws.ToInt32(put.MaximumRetryAttempts) != 1 ||
		aws.ToInt32(put.MaximumEventAgeInSeconds) != 300 || put.LastModified == nil || put.LastModified.Before(before) ||
		put.LastModified.After(time.Now().Add(time.Second)) || put.DestinationConfig == nil ||
		aws.ToString(put.DestinationConfig.OnFailure.Destination) != onFailure ||
		put.DestinationConfig.OnSuccess == nil || put.DestinationConfig.OnSuccess.Destination != nil {
		t.Fatalf("put = %+v", put)
	}

	upd, err := sdk.UpdateFunctionEventInvokeConfig(ctx, &lambda.UpdateFunctionEventInvokeConfigInput{
		FunctionName:         aws.String("sdk-ev"),
		MaximumRetryAttempts: aws.Int32(0),
		DestinationConfig: &types.DestinationConfig{
			OnSuccess: &types.OnSuccess{Destination: aws.String(onSuccess)},
			OnFailure: &types.OnFailure{Destination: aws.String(onFailure)},
		},
	})
	if err != nil || aws.ToInt32(upd.MaximumRetryAttempts) != 0 || upd.MaximumRetryAttempts == nil ||
		aws.ToInt32(upd.MaximumEventAgeInSeconds) != 300 || aws.ToString(upd.DestinationConfig.OnSuccess.Destination) != onSuccess {
		t.Fatalf("update = %+v, %v", upd, err)
	}

	got, err := sdk.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{
		FunctionName: aws.String("arn:aws:lambda:us-east-1:000000000000:function:sdk-ev")})
	if err != nil || !got.LastModified.Equal(aws.ToTime(upd.LastModified)) || got.LastModified.Nanosecond()%int(time.Millisecond) != 0 ||
		aws.ToString(got.DestinationConfig.OnFailure.Destination) != onFailure {
		t.Fatalf("get = %+v, %v", got, err)
	}

	var listed []string
	pages := lambda.NewListFunctionEventInvokeConfigsPaginator(sdk, &lambda.ListFunctionEventInvokeConfigsInput{
		FunctionName: aws.String("sdk-ev"), MaxItems: aws.Int32(1)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.FunctionEventInvokeConfigs {
			listed = append(listed, aws.ToString(c.FunctionArn))
			if c.LastModified == nil || c.DestinationConfig == nil {
				t.Errorf("listed %+v", c)
			}
		}
	}
	if len(listed) != 1 || listed[0] != arn {
		t.Errorf("listed %v", listed)
	}

	_, err = sdk.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("sdk-ev"), MaximumRetryAttempts: aws.Int32(3)})
	var validation smithy.APIError
	if !errors.As(err, &validation) || validation.ErrorCode() != "ValidationException" ||
		!strings.Contains(validation.ErrorMessage(), "'maximumRetryAttempts'") {
		t.Errorf("put 3 retries: %v", err)
	}
	_, err = sdk.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("sdk-ev"),
		DestinationConfig: &types.DestinationConfig{OnSuccess: &types.OnSuccess{
			Destination: aws.String("arn:aws:lambda:us-east-1:000000000000:function:missing")}}})
	var invalid *types.InvalidParameterValueException
	if !errors.As(err, &invalid) || !strings.Contains(aws.ToString(invalid.Message), "is invalid") {
		t.Errorf("put a missing destination function: %v", err)
	}

	if _, err := sdk.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{
		FunctionName: aws.String("sdk-ev")}); err != nil {
		t.Fatal(err)
	}
	_, err = sdk.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: aws.String("sdk-ev")})
	if !errors.As(err, &notFound) {
		t.Errorf("second delete: %v", err)
	}
}
