package gateway_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// TestLayersAWSSDK drives the layers API with the real AWS SDK: publish, get (by name and
// version, and by ARN), the list paginators, a function's Layers on create, get and update, and
// delete with its typed 404 afterwards.
func TestLayersAWSSDK(t *testing.T) {
	env := gatewaytest.New(t)
	sdk := sdkClient(env)
	ctx := context.Background()
	var arns []string
	for _, name := range []string{"sdk-a", "sdk-b", "sdk-c"} {
		out, err := sdk.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{
			LayerName:          aws.String(name),
			Content:            &types.LayerVersionContentInput{ZipFile: gatewaytest.Zip(t, map[string]string{"python/m.py": name})},
			CompatibleRuntimes: []types.Runtime{types.RuntimePython313},
			Description:        aws.String("layer " + name),
		})
		if err != nil {
			t.Fatalf("publish %s: %v", name, err)
		}
		if out.Version != 1 || aws.ToString(out.LayerArn) != "arn:aws:lambda:us-east-1:000000000000:layer:"+name ||
			out.Content == nil || out.Content.CodeSize == 0 || aws.ToString(out.Content.CodeSha256) == "" ||
			aws.ToString(out.CreatedDate) == "" || !slices.Equal(out.CompatibleRuntimes, []types.Runtime{types.RuntimePython313}) {
			t.Fatalf("publish %s = %+v", name, out)
		}
		arns = append(arns, aws.ToString(out.LayerVersionArn))
	}
	got, err := sdk.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String("sdk-a"), VersionNumber: aws.Int64(1)})
	if err != nil || aws.ToString(got.LayerVersionArn) != arns[0] || aws.ToString(got.Description) != "layer sdk-a" {
		t.Fatalf("get = %+v, %v", got, err)
	}
	byARN, err := sdk.GetLayerVersionByArn(ctx, &lambda.GetLayerVersionByArnInput{Arn: aws.String(arns[1])})
	if err != nil || byARN.Version != 1 || aws.ToString(byARN.LayerArn) != "arn:aws:lambda:us-east-1:000000000000:layer:sdk-b" {
		t.Fatalf("get by ARN = %+v, %v", byARN, err)
	}

	var names []string
	pages := lambda.NewListLayersPaginator(sdk, &lambda.ListLayersInput{MaxItems: aws.Int32(2),
		CompatibleRuntime: types.RuntimePython313})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range page.Layers {
			names = append(names, aws.ToString(l.LayerName))
			if l.LatestMatchingVersion == nil || l.LatestMatchingVersion.Version != 1 {
				t.Errorf("layer %s: latest %+v", aws.ToString(l.LayerName), l.LatestMatchingVersion)
			}
		}
	}
	if !slices.Equal(names, []string{"sdk-a", "sdk-b", "sdk-c"}) {
		t.Errorf("ListLayers pages = %v", names)
	}
	versions, err := sdk.ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{LayerName: aws.String("sdk-c")})
	if err != nil || len(versions.LayerVersions) != 1 || aws.ToString(versions.LayerVersions[0].LayerVersionArn) != arns[2] {
		t.Fatalf("versions = %+v, %v", versions, err)
	}

	created, err := sdk.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("sdk-with-layers"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role:   aws.String("arn:aws:iam::000000000000:role/r"),
		Code:   &types.FunctionCode{ZipFile: gatewaytest.Zip(t, map[string]string{"bootstrap": "#!/bin/sh\n"})},
		Layers: arns[:2],
	})
	if err != nil || len(created.Layers) != 2 || aws.ToString(created.Layers[1].Arn) != arns[1] || created.Layers[0].CodeSize == 0 {
		t.Fatalf("create with layers = %+v, %v", created, err)
	}
	updated, err := sdk.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("sdk-with-layers"), Layers: arns[2:]})
	if err != nil || len(updated.Layers) != 1 || aws.ToString(updated.Layers[0].Arn) != arns[2] {
		t.Fatalf("update layers = %+v, %v", updated, err)
	}
	cfg, err := sdk.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("sdk-with-layers")})
	if err != nil || len(cfg.Layers) != 1 || aws.ToString(cfg.Layers[0].Arn) != arns[2] {
		t.Fatalf("get configuration = %+v, %v", cfg, err)
	}

	if _, err := sdk.DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String("sdk-a"),
		VersionNumber: aws.Int64(1)}); err != nil {
		t.Fatal(err)
	}
	_, err = sdk.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String("sdk-a"), VersionNumber: aws.Int64(1)})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("get a deleted version: %v, want ResourceNotFoundException", err)
	}
	_, err = sdk.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("sdk-with-layers"), Layers: arns[:1]})
	var invalid *types.InvalidParameterValueException
	if !errors.As(err, &invalid) {
		t.Fatalf("add a deleted version: %v, want InvalidParameterValueException", err)
	}
}
