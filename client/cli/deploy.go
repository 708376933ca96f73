package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// DeployResult is what Deploy did.
type DeployResult struct {
	Function *lambdaapi.FunctionConfiguration
	Created  bool // false when an existing function was updated
	ZipSize  int
}

// Deploy builds and packages the project in dir and creates the function, or updates its code
// and configuration if it exists. Progress goes to out (with a progress bar when out is a
// terminal).
func Deploy(ctx context.Context, client *lambdaclient.Client, dir string, out io.Writer) (*DeployResult, error) {
	image, err := IsImageProject(dir)
	if err != nil {
		return nil, err
	}
	if image { // a Dockerfile and no runtime in lambdock.yaml: a container-image function (image.go)
		return DeployImage(ctx, client, dir, "", out)
	}
	p, err := LoadProject(dir)
	if err != nil {
		return nil, err
	}
	if p.Build == BuildGo {
		fmt.Fprintf(out, "Building %s (go build, linux/amd64)...\n", p.Name)
	}
	zip, err := buildZip(ctx, dir, out)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "Packaged %s: %s\n", p.Name, humanBytes(int64(len(zip))))
	if bar := uploadBar(out); bar != nil {
		client = client.With(lambdaclient.WithUploadProgress(bar))
	}

	res := &DeployResult{ZipSize: len(zip)}
	_, err = client.GetFunction(ctx, p.Name)
	switch {
	case lambdaclient.IsNotFound(err):
		res.Created = true
		res.Function, err = client.CreateFunction(ctx, createInput(p, zip))
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", p.Name, err)
		}
	case err != nil:
		return nil, fmt.Errorf("look up %s: %w", p.Name, err)
	default:
		if _, err := client.UpdateFunctionCode(ctx, p.Name, &lambdaapi.UpdateFunctionCodeInput{ZipFile: zip}); err != nil {
			return nil, fmt.Errorf("update code of %s: %w", p.Name, err)
		}
		res.Function, err = client.UpdateFunctionConfiguration(ctx, p.Name, updateInput(p))
		if err != nil {
			return nil, fmt.Errorf("update configuration of %s: %w", p.Name, err)
		}
	}
	verb := "Updated"
	if res.Created {
		verb = "Created"
	}
	fmt.Fprintf(out, "%s %s (%s, %d MB, %d s timeout, CodeSha256 %s)\n", verb, p.Name,
		res.Function.Runtime, res.Function.MemorySize, res.Function.Timeout, res.Function.CodeSha256)
	endpoint := ""
	if client.Endpoint() != lambdaclient.DefaultEndpoint {
		endpoint = " --endpoint " + client.Endpoint()
	}
	fmt.Fprintf(out, "Invoke it with:\n  lambdock invoke %s%s -d '{\"name\":\"you\"}'\n", p.Name, endpoint)
	return res, nil
}

// createInput is CreateFunction's body for the project.
func createInput(p *Project, zip []byte) *lambdaapi.CreateFunctionInput {
	in := &lambdaapi.CreateFunctionInput{
		FunctionName: p.Name,
		Runtime:      p.Runtime,
		Handler:      p.Handler,
		Description:  p.Description,
		MemorySize:   &p.Memory,
		Timeout:      &p.Timeout,
		Code:         lambdaapi.FunctionCode{ZipFile: zip},
		Layers:       p.Layers,
	}
	if len(p.Environment) > 0 {
		in.Environment = &lambdaapi.Environment{Variables: p.Environment}
	}
	return in
}

// updateInput is UpdateFunctionConfiguration's body: everything lambdock.yaml sets, including an
// empty environment so that removed variables go away.
func updateInput(p *Project) *lambdaapi.UpdateFunctionConfigurationInput {
	layers := append([]string{}, p.Layers...) // never nil: a project without layers removes them
	return &lambdaapi.UpdateFunctionConfigurationInput{
		Runtime:     &p.Runtime,
		Handler:     &p.Handler,
		Description: &p.Description,
		MemorySize:  &p.Memory,
		Timeout:     &p.Timeout,
		Environment: &lambdaapi.Environment{Variables: p.Environment},
		Layers:      &layers,
	}
}

// uploadBar returns an upload-progress hook drawing a progress bar on out, or nil when out is
// not a terminal.
func uploadBar(out io.Writer) func(r io.Reader, size int64) io.Reader {
	f, ok := out.(*os.File)
	if !ok || !isatty.IsTerminal(f.Fd()) {
		return nil
	}
	return func(r io.Reader, size int64) io.Reader {
		bar := progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(out),
			progressbar.OptionSetDescription("Uploading"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(out) }),
		)
		pr := progressbar.NewReader(r, bar)
		return &pr
	}
}

// humanBytes formats n as B, KB or MB.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// newDeployCommand is `lambdock deploy [DIR]`.
func newDeployCommand(o *options) *cobra.Command {
	var image string
	cmd := &cobra.Command{
		Use:   "deploy [DIR]",
		Short: "Build the project in DIR (default .) and create or update its function",
		Long: "Build the project in DIR (default .), package it and create or update its function.\n\n" +
			"Python and Node.js projects: every file but lambdock.yaml, hidden files and Python byte code is\n" +
			"packaged. Packages listed in requirements.txt are installed with the host's pip into the\n" +
			"package's root, package.json's dependencies with npm install --omit=dev into its node_modules,\n" +
			"both in a staging directory outside the project; when they cannot be installed nothing is\n" +
			"deployed. vendor: false in lambdock.yaml packages the directory as it is.\n\n" +
			"A project with a Dockerfile and no runtime in lambdock.yaml is built into a container image\n" +
			"through the Docker Engine and deployed with PackageType Image; --image deploys an existing\n" +
			"image instead.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			if image != "" {
				_, err := DeployImage(cmd.Context(), o.client(), dir, image, o.stdout)
				return err
			}
			_, err := Deploy(cmd.Context(), o.client(), dir, o.stdout)
			return err
		},
	}
	cmd.Flags().StringVar(&image, "image", "", "deploy this existing container image (no build; lambdock.yaml gives the name and settings)")
	return cmd
}
