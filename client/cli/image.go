package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/docker/client"
	"gopkg.in/yaml.v3"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/infra/dockerimage"
)

// Dockerfile is the file whose presence makes a project a container-image function.
const Dockerfile = "Dockerfile"

// LocalImageRepository is where `lambdock deploy` tags the images it builds:
// lambdock-local/<LocalImageName(function)>:<first 12 digits of the build context's hash>.
const LocalImageRepository = "lambdock-local/"

// LocalImageName is the repository path component of a function's images under
// LocalImageRepository. Function names may have upper case and leading, trailing or repeated
// "-" and "_", which Docker's repository names may not ([a-z0-9]+ separated by ".", "_", "__"
// or dashes): the name is lowercased, separators Docker refuses are dropped (at the ends) or
// made "-" (inside), and when that changed the name, "-" and the first 8 hex digits of the
// original name's SHA-256 are appended, so that "MyFn" and "myfn" keep apart.
func LocalImageName(function string) string {
	var b strings.Builder
	sep := ""
	for _, r := range strings.ToLower(function) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if b.Len() > 0 {
				b.WriteString(dockerSeparator(sep))
			}
			sep = ""
			b.WriteRune(r)
			continue
		}
		sep += string(r)
	}
	name := b.String()
	if name == function {
		return name
	}
	sum := sha256.Sum256([]byte(function))
	if name == "" {
		name = "fn"
	}
	return name + "-" + hex.EncodeToString(sum[:4])
}

// dockerSeparator is sep as a separator of Docker's repository grammar: "", "_", "__" and runs
// of "-" as they are, anything else "-".
func dockerSeparator(sep string) string {
	if sep == "" || sep == "_" || sep == "__" || strings.Trim(sep, "-") == "" {
		return sep
	}
	return "-"
}

// IsImageProject reports whether dir deploys as a container image: it has a Dockerfile and its
// lambdock.yaml sets no runtime (a runtime makes it a zip function whatever else is there).
func IsImageProject(dir string) (bool, error) {
	if _, err := os.Stat(filepath.Join(dir, Dockerfile)); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("project %s: %w", dir, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, ProjectFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("%s: %w", dir, errNoProject)
	}
	if err != nil {
		return false, fmt.Errorf("read project: %w", err)
	}
	var keys map[string]any
	if err := yaml.Unmarshal(b, &keys); err != nil {
		return false, fmt.Errorf("parse %s: %w", filepath.Join(dir, ProjectFile), err)
	}
	_, hasRuntime := keys["runtime"]
	return !hasRuntime, nil
}

// DeployImage deploys the project in dir as a container-image function: it builds dir's
// Dockerfile through the Docker Engine API (DOCKER_HOST, which must be the Docker host of the
// lambdockd gateway and invokers) and tags the image lambdock-local/<name>:<hash>, or, when
// imageURI is set, takes that existing image without building. Then it creates the function
// with PackageType Image, or points the existing one at the image (UpdateFunctionCode) and
// applies lambdock.yaml's settings. Build output goes to out.
func DeployImage(ctx context.Context, c *lambdaclient.Client, dir, imageURI string, out io.Writer) (*DeployResult, error) {
	p, err := LoadProject(dir)
	if err != nil {
		return nil, err
	}
	if imageURI == "" {
		if imageURI, err = buildImage(ctx, dir, p.Name, out); err != nil {
			return nil, err
		}
	}
	res := &DeployResult{}
	existing, err := c.GetFunction(ctx, p.Name)
	switch {
	case lambdaclient.IsNotFound(err):
		res.Created = true
		res.Function, err = c.CreateFunction(ctx, createImageInput(p, imageURI))
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", p.Name, err)
		}
	case err != nil:
		return nil, fmt.Errorf("look up %s: %w", p.Name, err)
	case existing.Configuration.PackageType != lambdaapi.PackageTypeImage:
		return nil, fmt.Errorf("%s is a .zip function, and a function cannot change its package type: "+
			"delete it (lambdock delete %s) to deploy it as a container image", p.Name, p.Name)
	default:
		if _, err := c.UpdateFunctionCode(ctx, p.Name, &lambdaapi.UpdateFunctionCodeInput{ImageURI: imageURI}); err != nil {
			return nil, fmt.Errorf("update image of %s: %w", p.Name, err)
		}
		res.Function, err = c.UpdateFunctionConfiguration(ctx, p.Name, &lambdaapi.UpdateFunctionConfigurationInput{
			Description: &p.Description,
			MemorySize:  &p.Memory,
			Timeout:     &p.Timeout,
			Environment: &lambdaapi.Environment{Variables: p.Environment},
		})
		if err != nil {
			return nil, fmt.Errorf("update configuration of %s: %w", p.Name, err)
		}
	}
	verb := "Updated"
	if res.Created {
		verb = "Created"
	}
	fmt.Fprintf(out, "%s %s (image %s, %d MB, %d s timeout, CodeSha256 %s)\n", verb, p.Name, imageURI,
		res.Function.MemorySize, res.Function.Timeout, res.Function.CodeSha256)
	return res, nil
}

// buildImage builds dir's Dockerfile and returns the tag it gave the image.
func buildImage(ctx context.Context, dir, name string, out io.Writer) (string, error) {
	bc, err := dockerimage.BuildContext(dir)
	if err != nil {
		return "", err
	}
	docker, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return "", fmt.Errorf("docker client: %w", err)
	}
	defer docker.Close()
	tag := LocalImageRepository + LocalImageName(name) + ":" + bc.Hash[:12]
	fmt.Fprintf(out, "Building %s (%d files, Docker Engine)...\n", tag, bc.Files)
	id, err := dockerimage.Build(ctx, docker, bc, tag, out)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(out, "Built %s (%s)\n", tag, id)
	return tag, nil
}

// createImageInput is CreateFunction's body for an image project.
func createImageInput(p *Project, imageURI string) *lambdaapi.CreateFunctionInput {
	in := &lambdaapi.CreateFunctionInput{
		FunctionName: p.Name,
		PackageType:  lambdaapi.PackageTypeImage,
		Description:  p.Description,
		MemorySize:   &p.Memory,
		Timeout:      &p.Timeout,
		Code:         lambdaapi.FunctionCode{ImageURI: imageURI},
	}
	if len(p.Environment) > 0 {
		in.Environment = &lambdaapi.Environment{Variables: p.Environment}
	}
	return in
}

// runtimeLabel is a function's RUNTIME column: its runtime, or "image" for a container image.
func runtimeLabel(f *lambdaapi.FunctionConfiguration) string {
	if f.PackageType == lambdaapi.PackageTypeImage {
		return "image"
	}
	return f.Runtime
}

// codeLabel describes a function's code: the zip's size and hash, or the image it runs.
func codeLabel(out *lambdaapi.GetFunctionOutput) string {
	f := out.Configuration
	if f.PackageType == lambdaapi.PackageTypeImage {
		return fmt.Sprintf("image %s, pinned to %s", out.Code.ImageURI, out.Code.ResolvedImageURI)
	}
	return fmt.Sprintf("%s, CodeSha256 %s", humanBytes(f.CodeSize), f.CodeSha256)
}

// describeImageConfig writes an image function's ImageConfig rows, if it has one.
func describeImageConfig(w io.Writer, f *lambdaapi.FunctionConfiguration) {
	if f.ImageConfigResponse == nil || f.ImageConfigResponse.ImageConfig == nil {
		return
	}
	ic := f.ImageConfigResponse.ImageConfig
	for _, row := range [][2]string{
		{"Entry point", strings.Join(ic.EntryPoint, " ")},
		{"Command", strings.Join(ic.Command, " ")},
		{"Working directory", ic.WorkingDirectory},
	} {
		if row[1] != "" {
			fmt.Fprintf(w, "%s:\t%s\n", row[0], row[1])
		}
	}
}
