package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/infra/dockerimage"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// Images of `make images` the tests resolve (present on the Docker host, never pulled).
const (
	baseImage  = "lambdock/provided:al2023"
	otherImage = "lambdock/python:3.13"
)

// imageEnv is a gateway resolving images on the Docker host (without pulling), and the client
// of that host.
func imageEnv(t *testing.T) (*gatewaytest.Env, *client.Client) {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	for _, ref := range []string{baseImage, otherImage} {
		if _, err := cli.ImageInspect(context.Background(), ref); err != nil {
			t.Fatalf("%s is needed (make images): %v", ref, err)
		}
	}
	env := gatewaytest.New(t, func(c *gateway.Config) { c.Images = dockerimage.NewResolver(cli, false) })
	return env, cli
}

// imageID is ref's image ID on the host.
func imageID(t *testing.T, cli *client.Client, ref string) string {
	t.Helper()
	ins, err := cli.ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return ins.ID
}

// tagImage tags src as tag until the test ends (removing the tag only, never src).
func tagImage(t *testing.T, cli *client.Client, src, tag string) {
	t.Helper()
	if err := cli.ImageTag(context.Background(), src, tag); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := cli.ImageRemove(context.Background(), tag, image.RemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			t.Errorf("untag %s: %v", tag, err)
		}
	})
}

// imageBody is a CreateFunction body of an image function; edit changes it before encoding.
func imageBody(t testing.TB, name, uri string, edit func(m map[string]any)) []byte {
	t.Helper()
	m := map[string]any{"FunctionName": name, "PackageType": "Image", "Code": map[string]any{"ImageUri": uri}}
	if edit != nil {
		edit(m)
	}
	return mustJSON(t, m)
}

// TestImageFunctionShape creates an image function and reads it back: PackageType, CodeSha256
// (the image digest in hex), CodeSize 0, no Runtime or Handler, ImageConfigResponse, and
// GetFunction's Code with the pinned image.
func TestImageFunctionShape(t *testing.T) {
	env, cli := imageEnv(t)
	id := imageID(t, cli, baseImage)
	body := imageBody(t, "img", baseImage, func(m map[string]any) {
		m["ImageConfig"] = map[string]any{"Command": []string{"handler.main"}, "WorkingDirectory": "/var/task"}
	})
	resp, b := do(t, env, call{method: "POST", path: "/2015-03-31/functions", body: body})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	out, err := env.Client.GetFunction(context.Background(), "img")
	if err != nil {
		t.Fatal(err)
	}
	cfg := out.Configuration
	if cfg.PackageType != "Image" || cfg.CodeSha256 != strings.TrimPrefix(id, "sha256:") || cfg.CodeSize != 0 ||
		cfg.Runtime != "" || cfg.Handler != "" {
		t.Errorf("configuration = PackageType %q CodeSha256 %q CodeSize %d Runtime %q Handler %q; want Image, %s, 0, none, none",
			cfg.PackageType, cfg.CodeSha256, cfg.CodeSize, cfg.Runtime, cfg.Handler, id)
	}
	ic := cfg.ImageConfigResponse
	if ic == nil || ic.ImageConfig == nil || strings.Join(ic.ImageConfig.Command, " ") != "handler.main" ||
		ic.ImageConfig.WorkingDirectory != "/var/task" || len(ic.ImageConfig.EntryPoint) != 0 {
		t.Errorf("ImageConfigResponse = %s", mustJSON(t, ic))
	}
	wantCode := lambdaapi.CodeLocation{RepositoryType: "ECR", ImageURI: baseImage, ResolvedImageURI: "lambdock/provided@" + id}
	if out.Code != wantCode {
		t.Errorf("Code = %+v, want %+v", out.Code, wantCode)
	}

	// UpdateFunctionConfiguration replaces the ImageConfig; an empty one removes it.
	upd, err := env.Client.UpdateFunctionConfiguration(context.Background(), "img", &lambdaapi.UpdateFunctionConfigurationInput{
		ImageConfig: &lambdaapi.ImageConfig{EntryPoint: []string{"/bin/sh", "-c"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustJSON(t, upd.ImageConfigResponse); string(got) != `{"ImageConfig":{"EntryPoint":["/bin/sh","-c"]}}` {
		t.Errorf("after update ImageConfigResponse = %s", got)
	}
	upd, err = env.Client.UpdateFunctionConfiguration(context.Background(), "img", &lambdaapi.UpdateFunctionConfigurationInput{
		ImageConfig: &lambdaapi.ImageConfig{}})
	if err != nil {
		t.Fatal(err)
	}
	if upd.ImageConfigResponse != nil {
		t.Errorf("after clearing ImageConfigResponse = %s", mustJSON(t, upd.ImageConfigResponse))
	}
}

// TestImagePinnedUntilUpdateCode retags the function's image: the function keeps the image it
// was created with until UpdateFunctionCode resolves the tag again; DryRun resolves but keeps.
func TestImagePinnedUntilUpdateCode(t *testing.T) {
	env, cli := imageEnv(t)
	const tag = "lambdock-gatewaytest/pinned:v1"
	tagImage(t, cli, baseImage, tag)
	first, second := imageID(t, cli, baseImage), imageID(t, cli, otherImage)
	ctx := context.Background()
	if _, err := env.Client.CreateFunction(ctx, &lambdaapi.CreateFunctionInput{FunctionName: "pinned",
		PackageType: "Image", Code: lambdaapi.FunctionCode{ImageURI: tag}}); err != nil {
		t.Fatal(err)
	}
	tagImage(t, cli, otherImage, tag) // the same tag now names another image

	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"after retag", func() error { return nil }, first},
		{"dry run", func() error {
			out, err := env.Client.UpdateFunctionCode(ctx, "pinned", &lambdaapi.UpdateFunctionCodeInput{ImageURI: tag, DryRun: true})
			if err == nil && out.CodeSha256 != strings.TrimPrefix(second, "sha256:") {
				t.Errorf("dry run CodeSha256 = %s, want the new image %s", out.CodeSha256, second)
			}
			return err
		}, first},
		{"update code", func() error {
			_, err := env.Client.UpdateFunctionCode(ctx, "pinned", &lambdaapi.UpdateFunctionCodeInput{ImageURI: tag})
			return err
		}, second},
		{"configuration update", func() error {
			_, err := env.Client.UpdateFunctionConfiguration(ctx, "pinned", &lambdaapi.UpdateFunctionConfigurationInput{
				Description: new(string)})
			return err
		}, second},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		out, err := env.Client.GetFunction(ctx, "pinned")
		if err != nil {
			t.Fatal(err)
		}
		if out.Code.ResolvedImageURI != "lambdock-gatewaytest/pinned@"+s.want {
			t.Errorf("%s: ResolvedImageUri = %s, want image %s", s.name, out.Code.ResolvedImageURI, s.want)
		}
		if out.Configuration.CodeSha256 != strings.TrimPrefix(s.want, "sha256:") {
			t.Errorf("%s: CodeSha256 = %s, want %s", s.name, out.Configuration.CodeSha256, s.want)
		}
	}
}

// TestImageErrors checks the rejected image requests: status, code and Lambda's message.
func TestImageErrors(t *testing.T) {
	env, cli := imageEnv(t)
	baseID := imageID(t, cli, baseImage)
	if _, err := env.Client.CreateFunction(context.Background(), &lambdaapi.CreateFunctionInput{FunctionName: "img",
		PackageType: "Image", Code: lambdaapi.FunctionCode{ImageURI: baseImage}}); err != nil {
		t.Fatal(err)
	}
	createFunction(t, env, "zipfn")

	const (
		fns     = "/2015-03-31/functions"
		invalid = lambdaerr.CodeInvalidParameterValue
		fields  = "Please don't provide Handler or Runtime or Layer when the intended function PackageType is Image."
	)
	img := func(edit func(m map[string]any)) []byte { return imageBody(t, "new", baseImage, edit) }
	set := func(k string, v any) func(m map[string]any) { return func(m map[string]any) { m[k] = v } }
	imageConfig := func(v map[string]any) func(m map[string]any) { return set("ImageConfig", v) }
	tests := []struct {
		name string
		call call
		msg  string
	}{
		{"runtime", call{method: "POST", path: fns, body: img(set("Runtime", "provided.al2023"))}, fields},
		{"handler", call{method: "POST", path: fns, body: img(set("Handler", "bootstrap"))}, fields},
		{"layers", call{method: "POST", path: fns, body: img(set("Layers", []string{"arn:aws:lambda:us-east-1:000000000000:layer:l:1"}))}, fields},
		{"unknown image", call{method: "POST", path: fns, body: imageBody(t, "new", "lambdock-gatewaytest/none:x", nil)},
			"Source image lambdock-gatewaytest/none:x does not exist. Provide a valid source image."},
		{"not a reference", call{method: "POST", path: fns, body: imageBody(t, "new", "Not An Image", nil)},
			"Source image Not An Image is not valid. Provide a valid source image."},
		{"no tag", call{method: "POST", path: fns, body: imageBody(t, "new", "lambdock/provided", nil)},
			"Source image lambdock/provided is not valid. Provide a valid source image."},
		{"image ID", call{method: "POST", path: fns, body: imageBody(t, "new", baseID, nil)},
			"Source image " + baseID + " is not valid. Provide a valid source image."},
		{"image ID prefix", call{method: "POST", path: fns, body: imageBody(t, "new", baseID[7:19], nil)},
			"Source image " + baseID[7:19] + " is not valid. Provide a valid source image."},
		{"image ID prefix as a tag", call{method: "POST", path: fns, body: imageBody(t, "new", baseID[7:19]+":latest", nil)},
			"Source image " + baseID[7:19] + ":latest does not exist. Provide a valid source image."},
		{"tag and digest", call{method: "POST", path: fns, body: imageBody(t, "new", "app:v1@"+baseID, nil)},
			"Source image app:v1@" + baseID + " is not valid. Provide a valid source image."},
		{"update to an ID prefix", call{method: "PUT", path: fns + "/img/code", body: mustJSON(t, map[string]string{"ImageUri": baseID[:19]})},
			"Source image " + baseID[:19] + " is not valid. Provide a valid source image."},
		{"no image uri", call{method: "POST", path: fns, body: imageBody(t, "new", "", nil)},
			"Please provide ImageUri when the intended function PackageType is Image."},
		{"zip for image", call{method: "POST", path: fns, body: img(set("Code", map[string]any{"ZipFile": gatewaytest.Zip(t, map[string]string{"bootstrap": "x"})}))},
			"Please provide ImageUri when the intended function PackageType is Image."},
		{"image uri for zip", call{method: "POST", path: fns, body: createBody(t, "new", set("Code", map[string]any{"ImageUri": baseImage}))},
			"Please don't provide ImageUri when the intended function PackageType is Zip."},
		{"relative working directory", call{method: "POST", path: fns, body: img(imageConfig(map[string]any{"WorkingDirectory": "task"}))},
			"ImageConfig.WorkingDirectory must be an absolute path: task"},
		{"long working directory", call{method: "POST", path: fns, body: img(imageConfig(map[string]any{"WorkingDirectory": "/" + strings.Repeat("d", 1000)}))},
			"'ImageConfig.WorkingDirectory' value failed to satisfy constraint: Member must have length less than or equal to 1000"},
		{"1501 entry point items", call{method: "POST", path: fns, body: img(imageConfig(map[string]any{"EntryPoint": make([]string, 1501)}))},
			"'ImageConfig.EntryPoint' value failed to satisfy constraint: Member must have length less than or equal to 1500"},
		{"1501 command items", call{method: "POST", path: fns, body: img(imageConfig(map[string]any{"Command": make([]string, 1501)}))},
			"'ImageConfig.Command' value failed to satisfy constraint: Member must have length less than or equal to 1500"},
		{"image config on zip", call{method: "POST", path: fns, body: createBody(t, "new", imageConfig(map[string]any{"Command": []string{"x"}}))},
			"ImageConfig is only for functions with PackageType Image."},
		{"update zip on image", call{method: "PUT", path: fns + "/img/code", body: []byte(`{"ZipFile":"bm90IGEgemlw"}`)},
			"Please provide ImageUri when updating a function with packageType Image."},
		{"update nothing on image", call{method: "PUT", path: fns + "/img/code", body: []byte(`{}`)},
			"Please provide ImageUri when updating a function with packageType Image."},
		{"update image on zip", call{method: "PUT", path: fns + "/zipfn/code", body: mustJSON(t, map[string]string{"ImageUri": baseImage})},
			"Please don't provide ImageUri when updating a function with packageType Zip."},
		{"update unknown image", call{method: "PUT", path: fns + "/img/code", body: mustJSON(t, map[string]string{"ImageUri": "lambdock-gatewaytest/none:x"})},
			"Source image lambdock-gatewaytest/none:x does not exist. Provide a valid source image."},
		{"update handler on image", call{method: "PUT", path: fns + "/img/configuration", body: []byte(`{"Handler":"bootstrap"}`)}, fields},
		{"update image config on zip", call{method: "PUT", path: fns + "/zipfn/configuration", body: []byte(`{"ImageConfig":{"Command":["x"]}}`)},
			"ImageConfig is only for functions with PackageType Image."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, env, tt.call)
			wantError(t, resp, body, http.StatusBadRequest, invalid, tt.msg)
		})
	}
	// Nothing was created or changed by the refused requests.
	if _, err := env.Client.GetFunction(context.Background(), "new"); !lambdaclient.IsNotFound(err) {
		t.Errorf("function new: %v, want not found", err)
	}
}

// TestImageWithoutResolver: a gateway without a Docker Engine refuses image functions clearly.
func TestImageWithoutResolver(t *testing.T) {
	env := gatewaytest.New(t)
	resp, body := do(t, env, call{method: "POST", path: "/2015-03-31/functions", body: imageBody(t, "img", baseImage, nil)})
	wantError(t, resp, body, http.StatusBadRequest, lambdaerr.CodeInvalidParameterValue, "need a Docker Engine")
}

// TestImageAWSSDK creates, reads and updates an image function with the real AWS SDK, so the
// image shapes decode as AWS's clients expect, and checks the SDK's typed error.
func TestImageAWSSDK(t *testing.T) {
	env, cli := imageEnv(t)
	sdk := sdkClient(env)
	ctx := context.Background()
	id := imageID(t, cli, baseImage)
	created, err := sdk.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("sdkimg"),
		PackageType:  types.PackageTypeImage,
		Role:         aws.String("arn:aws:iam::000000000000:role/x"),
		Code:         &types.FunctionCode{ImageUri: aws.String(baseImage)},
		ImageConfig:  &types.ImageConfig{Command: []string{"app.handler"}, EntryPoint: []string{"/entry.sh"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ic := created.ImageConfigResponse
	if created.PackageType != types.PackageTypeImage || aws.ToString(created.CodeSha256) != strings.TrimPrefix(id, "sha256:") ||
		ic == nil || ic.ImageConfig == nil || ic.ImageConfig.Command[0] != "app.handler" || ic.ImageConfig.EntryPoint[0] != "/entry.sh" {
		t.Errorf("created %+v", created)
	}
	got, err := sdk.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("sdkimg")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Code.RepositoryType) != "ECR" || aws.ToString(got.Code.ImageUri) != baseImage ||
		aws.ToString(got.Code.ResolvedImageUri) != "lambdock/provided@"+id {
		t.Errorf("Code = %+v", got.Code)
	}
	if _, err := sdk.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("sdkimg"),
		ImageUri: aws.String(otherImage)}); err != nil {
		t.Fatal(err)
	}
	_, err = sdk.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("sdkimg"),
		ImageUri: aws.String("lambdock-gatewaytest/none:x")})
	var invalid *types.InvalidParameterValueException
	if !errors.As(err, &invalid) || !strings.Contains(invalid.ErrorMessage(), "does not exist. Provide a valid source image.") {
		t.Errorf("unknown image: %v", err)
	}
}
