package gateway_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// TestEventSourceMappingsSDK: aws-sdk-go-v2 creates, gets, lists (with its paginator), updates
// and deletes a queue trigger, and decodes every response and a 404.
func TestEventSourceMappingsSDK(t *testing.T) {
	env := gatewaytest.New(t)
	sdk := sdkClient(env)
	ctx := context.Background()
	createFunction(t, env, "worker")

	created, err := sdk.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName:          aws.String("worker"),
		EventSourceArn:        aws.String(queueARN),
		BatchSize:             aws.Int32(10),
		FunctionResponseTypes: []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures},
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{
			Destination: aws.String("arn:aws:nats:us-east-1:000000000000:subject/failed.jobs")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created.State) != "Creating" || aws.ToInt32(created.BatchSize) != 10 || created.UUID == nil ||
		created.LastModified == nil || created.LastModified.IsZero() || len(created.FunctionResponseTypes) != 1 ||
		aws.ToString(created.FunctionArn) != "arn:aws:lambda:us-east-1:000000000000:function:worker" ||
		aws.ToString(created.DestinationConfig.OnFailure.Destination) == "" {
		t.Fatalf("created %+v", created)
	}
	got, err := sdk.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: created.UUID})
	if err != nil || aws.ToString(got.State) != "Enabled" || aws.ToString(got.EventSourceArn) != queueARN {
		t.Fatalf("get = %+v, %v", got, err)
	}
	updated, err := sdk.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: created.UUID,
		BatchSize: aws.Int32(500), MaximumBatchingWindowInSeconds: aws.Int32(5)})
	if err != nil || aws.ToInt32(updated.BatchSize) != 500 || aws.ToInt32(updated.MaximumBatchingWindowInSeconds) != 5 {
		t.Fatalf("update = %+v, %v", updated, err)
	}

	var uuids []string
	pages := lambda.NewListEventSourceMappingsPaginator(sdk, &lambda.ListEventSourceMappingsInput{
		FunctionName: aws.String("worker"), MaxItems: aws.Int32(1)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.EventSourceMappings {
			uuids = append(uuids, aws.ToString(m.UUID))
		}
	}
	if len(uuids) != 1 || uuids[0] != aws.ToString(created.UUID) {
		t.Fatalf("listed %v", uuids)
	}

	deleted, err := sdk.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: created.UUID})
	if err != nil || aws.ToString(deleted.State) != "Deleting" {
		t.Fatalf("delete = %+v, %v", deleted, err)
	}
	_, err = sdk.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: created.UUID})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("get after delete: %v, want ResourceNotFoundException", err)
	}
}
