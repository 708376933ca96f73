package dockerimage

import (
	"context"
	"fmt"
	"io"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// Resolver turns image references into the IDs of images on one Docker host.
type Resolver struct {
	cli  *client.Client
	pull bool
}

// NewResolver resolves on the Docker host of cli. With pull, an image absent from the host is
// pulled once (the daemon's registries and credentials) before it is declared unknown.
func NewResolver(cli *client.Client, pull bool) *Resolver {
	return &Resolver{cli: cli, pull: pull}
}

// ResolveImage returns the ID ("sha256:<hex>") of the image uri names on the host, pulling it
// first when it is absent and the resolver pulls. ok is false when there is no such image (or
// uri is not a valid reference); err is a failure of the Docker host itself.
func (r *Resolver) ResolveImage(ctx context.Context, uri string) (id string, ok bool, err error) {
	if !ValidReference(uri) {
		return "", false, nil
	}
	id, ok, err = r.inspect(ctx, uri)
	if ok || err != nil || !r.pull {
		return id, ok, err
	}
	rc, err := r.cli.ImagePull(ctx, uri, image.PullOptions{})
	if err != nil {
		// Error ignored on purpose: not found, no such registry, no network, no credentials all
		// mean "does not exist" to the caller, as an unreachable repository does to Lambda.
		return "", false, nil
	}
	_, err = io.Copy(io.Discard, rc)
	_ = rc.Close() // the pull's outcome is what inspect finds next
	if err != nil {
		return "", false, fmt.Errorf("dockerimage: pull %s: %w", uri, err)
	}
	return r.inspect(ctx, uri)
}

// inspect looks uri up on the host.
func (r *Resolver) inspect(ctx context.Context, uri string) (string, bool, error) {
	ins, err := r.cli.ImageInspect(ctx, uri)
	switch {
	case cerrdefs.IsNotFound(err):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("dockerimage: inspect %s: %w", uri, err)
	}
	return ins.ID, true, nil
}

// ValidReference reports whether uri is a Docker image reference (name, name:tag or
// name@digest, with an optional registry host).
func ValidReference(uri string) bool {
	if uri == "" || strings.TrimSpace(uri) != uri {
		return false
	}
	_, err := reference.ParseNormalizedNamed(uri)
	return err == nil
}
