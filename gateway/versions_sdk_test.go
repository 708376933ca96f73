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

	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// TestVersionsAndAliasesSDK drives versions and aliases with the real aws-sdk-go-v2 client: its
// operations, paginators, waiter and typed errors decode what the gateway sends.
func TestVersionsAndAliasesSDK(t *testing.T) {
	env := gatewaytest.New(t)
	sdk := sdkClient(env)
	ctx := context.Background()

	created, err := sdk.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("sdkv"),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Role:         aws.String("arn:aws:iam::000000000000:role/x"),
		Code:         &types.FunctionCode{ZipFile: newCode(t, "one")},
		Publish:      true,
	})
	if err != nil || aws.ToString(created.Version) != "1" || aws.ToString(created.FunctionArn) != fnARN+"sdkv:1" {
		t.Fatalf("CreateFunction with Publish = %+v, %v", created, err)
	}
	if err := lambda.NewPublishedVersionActiveWaiter(sdk).Wait(ctx, &lambda.GetFunctionConfigurationInput{
		FunctionName: aws.String("sdkv"), Qualifier: aws.String("1")}, 10*time.Second); err != nil {
		t.Errorf("PublishedVersionActive waiter: %v", err)
	}
	if _, err := sdk.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("sdkv"),
		ZipFile: newCode(t, "two")}); err != nil {
		t.Fatal(err)
	}
	_, err = sdk.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("sdkv"), RevisionId: aws.String("stale")})
	if pf := (*types.PreconditionFailedException)(nil); !errors.As(err, &pf) {
		t.Errorf("stale RevisionId: %v, want PreconditionFailedException", err)
	}
	v2, err := sdk.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("sdkv"),
		Description: aws.String("two")})
	if err != nil || aws.ToString(v2.Version) != "2" || aws.ToString(v2.Description) != "two" ||
		aws.ToString(v2.CodeSha256) == aws.ToString(created.CodeSha256) {
		t.Fatalf("PublishVersion = %+v, %v", v2, err)
	}

	var versions []string
	for p := lambda.NewListVersionsByFunctionPaginator(sdk, &lambda.ListVersionsByFunctionInput{
		FunctionName: aws.String("sdkv"), MaxItems: aws.Int32(1)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			versions = append(versions, aws.ToString(v.Version))
		}
	}
	if strings.Join(versions, ",") != "$LATEST,1,2" {
		t.Errorf("ListVersionsByFunction pages = %v", versions)
	}
	all, err := sdk.ListFunctions(ctx, &lambda.ListFunctionsInput{FunctionVersion: types.FunctionVersionAll})
	if err != nil || len(all.Functions) != 3 || aws.ToString(all.Functions[0].FunctionArn) != fnARN+"sdkv:$LATEST" {
		t.Errorf("ListFunctions ALL = %+v, %v", all, err)
	}

	alias, err := sdk.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("sdkv"), Name: aws.String("prod"),
		FunctionVersion: aws.String("1"), RoutingConfig: &types.AliasRoutingConfiguration{
			AdditionalVersionWeights: map[string]float64{"2": 0.25}}})
	if err != nil || aws.ToString(alias.AliasArn) != fnARN+"sdkv:prod" || alias.RoutingConfig.AdditionalVersionWeights["2"] != 0.25 {
		t.Fatalf("CreateAlias = %+v, %v", alias, err)
	}
	fn, err := sdk.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("sdkv"), Qualifier: aws.String("prod")})
	if err != nil || aws.ToString(fn.Configuration.Version) != "1" || aws.ToString(fn.Configuration.FunctionArn) != fnARN+"sdkv:prod" {
		t.Errorf("GetFunction through the alias = %+v, %v", fn, err)
	}
	_, err = sdk.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("sdkv"), Name: aws.String("prod"),
		FunctionVersion: aws.String("2"), RevisionId: aws.String("stale")})
	if pf := (*types.PreconditionFailedException)(nil); !errors.As(err, &pf) {
		t.Errorf("UpdateAlias with a stale RevisionId: %v, want PreconditionFailedException", err)
	}
	moved, err := sdk.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("sdkv"), Name: aws.String("prod"),
		FunctionVersion: aws.String("2"), RevisionId: alias.RevisionId,
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}})
	if err != nil || aws.ToString(moved.FunctionVersion) != "2" || moved.RoutingConfig != nil {
		t.Errorf("UpdateAlias = %+v, %v", moved, err)
	}
	_, err = sdk.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("sdkv"), Qualifier: aws.String("2")})
	if rc := (*types.ResourceConflictException)(nil); !errors.As(err, &rc) ||
		!strings.Contains(rc.ErrorMessage(), "the following aliases reference it: [prod]") {
		t.Errorf("delete an aliased version: %v, want ResourceConflictException", err)
	}
	_, err = sdk.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("sdkv"), Name: aws.String("none")})
	if nf := (*types.ResourceNotFoundException)(nil); !errors.As(err, &nf) {
		t.Errorf("GetAlias of a missing alias: %v, want ResourceNotFoundException", err)
	}

	var names []string
	for p := lambda.NewListAliasesPaginator(sdk, &lambda.ListAliasesInput{FunctionName: aws.String("sdkv")}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Aliases {
			names = append(names, aws.ToString(a.Name)+"→"+aws.ToString(a.FunctionVersion))
		}
	}
	if strings.Join(names, ",") != "prod→2" {
		t.Errorf("ListAliases = %v", names)
	}
	if _, err := sdk.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("sdkv"), Name: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	if _, err := sdk.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("sdkv"), Qualifier: aws.String("2")}); err != nil {
		t.Errorf("delete version 2 once no alias uses it: %v", err)
	}
}
