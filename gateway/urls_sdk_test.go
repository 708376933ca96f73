package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/lambdock/lambdock/gateway"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// sdkErrorCode is the error code of an SDK error and its HTTP status.
func sdkErrorCode(t *testing.T, err error) (string, int) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want an API error, got %v", err)
	}
	status := 0
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return apiErr.ErrorCode(), status
}

// TestFunctionURLConfigSDK drives the URL config API with aws-sdk-go-v2: create, get, list,
// update, delete, and Lambda's errors.
func TestFunctionURLConfigSDK(t *testing.T) {
	env := gatewaytest.New(t, func(c *gateway.Config) { c.PublicURL = "https://lambda.example.com/" })
	sdk := sdkClient(env)
	ctx := context.Background()
	createFunction(t, env, "web")

	created, err := sdk.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{
		FunctionName: aws.String("web"),
		AuthType:     types.FunctionUrlAuthTypeNone,
		Cors: &types.Cors{AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"PUT"},
			AllowCredentials: aws.Bool(true), MaxAge: aws.Int32(300)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created.FunctionUrl) != "https://lambda.example.com/fn/web/" ||
		aws.ToString(created.FunctionArn) != "arn:aws:lambda:us-east-1:000000000000:function:web" ||
		created.AuthType != types.FunctionUrlAuthTypeNone || created.InvokeMode != types.InvokeModeBuffered ||
		created.Cors == nil || !aws.ToBool(created.Cors.AllowCredentials) || aws.ToInt32(created.Cors.MaxAge) != 300 {
		t.Errorf("created %+v", created)
	}
	if _, err := time.Parse(time.RFC3339Nano, aws.ToString(created.CreationTime)); err != nil {
		t.Errorf("CreationTime %q: %v", aws.ToString(created.CreationTime), err)
	}

	got, err := sdk.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("web")})
	if err != nil || aws.ToString(got.FunctionUrl) != aws.ToString(created.FunctionUrl) || got.LastModifiedTime == nil ||
		got.Cors.AllowOrigins[0] != "https://app.example.com" {
		t.Fatalf("get = %+v, %v", got, err)
	}

	updated, err := sdk.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{
		FunctionName: aws.String("web"), AuthType: types.FunctionUrlAuthTypeAwsIam, InvokeMode: types.InvokeModeResponseStream,
	})
	if err != nil || updated.AuthType != types.FunctionUrlAuthTypeAwsIam || updated.InvokeMode != types.InvokeModeResponseStream ||
		updated.Cors == nil || aws.ToString(updated.CreationTime) != aws.ToString(created.CreationTime) {
		t.Fatalf("update = %+v, %v", updated, err)
	}

	list, err := sdk.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("web"), MaxItems: aws.Int32(50)})
	if err != nil || len(list.FunctionUrlConfigs) != 1 || list.FunctionUrlConfigs[0].AuthType != types.FunctionUrlAuthTypeAwsIam {
		t.Fatalf("list = %+v, %v", list, err)
	}

	errs := []struct {
		name   string
		call   func() error
		status int
		code   string
	}{
		{"second create", func() error {
			_, err := sdk.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("web"), AuthType: types.FunctionUrlAuthTypeNone})
			return err
		}, http.StatusConflict, "ResourceConflictException"},
		{"unknown function", func() error {
			_, err := sdk.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("nope"), AuthType: types.FunctionUrlAuthTypeNone})
			return err
		}, http.StatusNotFound, "ResourceNotFoundException"},
		{"an alias qualifier", func() error {
			_, err := sdk.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("web"), Qualifier: aws.String("prod")})
			return err
		}, http.StatusNotFound, "ResourceNotFoundException"},
		{"bad auth type", func() error {
			_, err := sdk.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("web"), AuthType: "OPEN"})
			return err
		}, http.StatusBadRequest, "InvalidParameterValueException"},
		{"too many methods", func() error {
			_, err := sdk.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("web"),
				Cors: &types.Cors{AllowMethods: strings.Fields("GET PUT POST HEAD PATCH DELETE OPTIONS")}})
			return err
		}, http.StatusBadRequest, "InvalidParameterValueException"},
		{"method longer than 6", func() error {
			_, err := sdk.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("web"),
				Cors: &types.Cors{AllowMethods: []string{"CONNECT"}}})
			return err
		}, http.StatusBadRequest, "InvalidParameterValueException"},
		{"origin longer than 253", func() error {
			_, err := sdk.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("web"),
				Cors: &types.Cors{AllowOrigins: []string{"https://" + strings.Repeat("a", 250)}}})
			return err
		}, http.StatusBadRequest, "InvalidParameterValueException"},
		{"101 headers", func() error {
			_, err := sdk.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("web"),
				Cors: &types.Cors{AllowHeaders: make([]string, 101)}})
			return err
		}, http.StatusBadRequest, "InvalidParameterValueException"},
		{"MaxAge over a day", func() error {
			_, err := sdk.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("web"),
				Cors: &types.Cors{MaxAge: aws.Int32(86401)}})
			return err
		}, http.StatusBadRequest, "InvalidParameterValueException"},
		{"MaxItems 51", func() error {
			_, err := sdk.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("web"), MaxItems: aws.Int32(51)})
			return err
		}, http.StatusBadRequest, "InvalidParameterValueException"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			code, status := sdkErrorCode(t, tt.call())
			if code != tt.code || status != tt.status {
				t.Errorf("got %d %s, want %d %s", status, code, tt.status, tt.code)
			}
		})
	}

	if _, err := sdk.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"get": func() error {
			_, err := sdk.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("web")})
			return err
		},
		"update": func() error {
			_, err := sdk.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("web"), AuthType: types.FunctionUrlAuthTypeNone})
			return err
		},
		"delete": func() error {
			_, err := sdk.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("web")})
			return err
		},
	} {
		if code, status := sdkErrorCode(t, call()); code != "ResourceNotFoundException" || status != http.StatusNotFound {
			t.Errorf("%s without a URL: %d %s", name, status, code)
		}
	}
	list, err = sdk.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("web")})
	if err != nil || len(list.FunctionUrlConfigs) != 0 {
		t.Fatalf("list without a URL = %+v, %v", list, err)
	}
}

// TestFunctionURLHostRouting: with a URL domain the URL is https://<url-id>.<domain>/ and a
// request with that Host reaches the function at any path.
func TestFunctionURLHostRouting(t *testing.T) {
	env := gatewaytest.New(t, func(c *gateway.Config) { c.URLDomain = "lambda-url.test" })
	env.Respond(t, urlController)
	sdk := sdkClient(env)
	ctx := context.Background()
	createFunction(t, env, "hosted")
	out, err := sdk.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("hosted"), AuthType: types.FunctionUrlAuthTypeNone})
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^https://([a-z0-9]{32})\.lambda-url\.test/$`).FindStringSubmatch(aws.ToString(out.FunctionUrl))
	if m == nil {
		t.Fatalf("FunctionUrl %q", aws.ToString(out.FunctionUrl))
	}
	resp, body := sendURL(t, env, http.MethodGet, "/2015-03-31/functions/a/b?x=1", m[1]+".lambda-url.test", nil, nil)
	ev := decodeEcho(t, resp, body)
	if resp.StatusCode != http.StatusOK || ev.RawPath != "/2015-03-31/functions/a/b" || ev.RequestContext.APIID != m[1] ||
		ev.RequestContext.DomainName != m[1]+".lambda-url.test" {
		t.Fatalf("host-routed request: %d %+v", resp.StatusCode, ev)
	}
	resp, body = sendURL(t, env, http.MethodGet, "/", strings.Repeat("z", 32)+".lambda-url.test", nil, nil)
	if resp.StatusCode != http.StatusForbidden || string(body) != `{"Message":null}` {
		t.Fatalf("unknown url id: %d %s", resp.StatusCode, body)
	}
}
