package dockerimage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/client"
)

// LabelBuiltBy marks the images Build makes.
const LabelBuiltBy = "lambdock.built-by"

// Build builds bc's Dockerfile on the Docker host of cli, tags the image tag and returns its ID
// ("sha256:<hex>"). The build's output (the steps and what they print) goes to out as it comes.
// The base image must be on the host or pullable by it.
func Build(ctx context.Context, cli *client.Client, bc *Context, tag string, out io.Writer) (string, error) {
	tarball := bc.Open()
	defer tarball.Close() // stops the writer if the Engine did not read it all
	resp, err := cli.ImageBuild(ctx, tarball, build.ImageBuildOptions{
		Tags:        []string{tag},
		Dockerfile:  "Dockerfile",
		Remove:      true,
		ForceRemove: true,
		Labels:      map[string]string{LabelBuiltBy: "lambdock"},
	})
	if err != nil {
		return "", fmt.Errorf("dockerimage: build %s: %w", tag, err)
	}
	defer resp.Body.Close()
	id, err := readBuildOutput(resp.Body, out)
	if err != nil {
		return "", fmt.Errorf("dockerimage: build %s: %w", tag, err)
	}
	if id == "" { // an Engine that does not report the ID: ask for it by tag
		ins, err := cli.ImageInspect(ctx, tag)
		if err != nil {
			return "", fmt.Errorf("dockerimage: inspect %s after its build: %w", tag, err)
		}
		id = ins.ID
	}
	return id, nil
}

// buildMessage is one JSON message of the Engine's build output.
type buildMessage struct {
	Stream string `json:"stream"`
	Status string `json:"status"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	ErrorText string          `json:"error"`
	Aux       json.RawMessage `json:"aux"`
}

// readBuildOutput copies a build's messages to out and returns the built image's ID (from the
// "aux" message) or the build's error.
func readBuildOutput(r io.Reader, out io.Writer) (string, error) {
	dec := json.NewDecoder(r)
	id := ""
	for {
		var m buildMessage
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return id, nil
		}
		if err != nil {
			return "", fmt.Errorf("read build output: %w", err)
		}
		switch {
		case m.Error != nil && m.Error.Message != "":
			return "", errors.New(m.Error.Message)
		case m.ErrorText != "":
			return "", errors.New(m.ErrorText)
		case m.Stream != "":
			_, _ = io.WriteString(out, m.Stream) // progress only; a closed output must not stop the build
		case m.Status != "":
			_, _ = io.WriteString(out, m.Status+"\n")
		}
		if len(m.Aux) > 0 {
			var aux struct{ ID string }
			if json.Unmarshal(m.Aux, &aux) == nil && aux.ID != "" {
				id = aux.ID
			}
		}
	}
}
