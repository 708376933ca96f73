package dockerimage

import (
	"context"
	"fmt"
	"io"
	"slices"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// Resolver turns image references into the IDs of images on one Docker host.
type Resolver struct {
	cli  *client.Client
	pull bool
}

// NewResolver resolves on the Docker host of cli. With pull, an image absent from the host is
// pulled once (the daemon's registries and credentials) before it is declared unknown; without
// it (lambdockd's default) only images already on the host resolve.
func NewResolver(cli *client.Client, pull bool) *Resolver {
	return &Resolver{cli: cli, pull: pull}
}

// ResolveImage returns the ID ("sha256:<hex>") of the image uri names on the host, pulling it
// first when it is absent and the resolver pulls. ok is false when there is no such image (or
// uri is not a valid reference, ValidReference); err is a failure of the Docker host itself.
// Only an image that carries uri as a tag (or, for repo@digest, as a repository digest)
// resolves: the Engine's own lookup also accepts image IDs and their prefixes ("sha256:752a")
// in a tag's place, which would let a caller name any image on the host without knowing a name.
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

// LocalImage returns the ID of the image uri names on the host, as ResolveImage does but never
// pulling (ok false when it is absent).
func (r *Resolver) LocalImage(ctx context.Context, uri string) (id string, ok bool, err error) {
	if !ValidReference(uri) {
		return "", false, nil
	}
	return r.inspect(ctx, uri)
}

// inspect looks uri up on the host and checks that the image found carries uri as a name.
func (r *Resolver) inspect(ctx context.Context, uri string) (string, bool, error) {
	ins, err := r.cli.ImageInspect(ctx, uri)
	switch {
	case cerrdefs.IsNotFound(err):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("dockerimage: inspect %s: %w", uri, err)
	}
	if !namedBy(uri, ins.RepoTags, ins.RepoDigests) {
		return "", false, nil
	}
	return ins.ID, true, nil
}

// namedBy reports whether the valid reference uri is one of an image's tags or repository
// digests (compared in their normalized form: "app:1" is "docker.io/library/app:1").
func namedBy(uri string, tags, digests []string) bool {
	want, err := reference.ParseNormalizedNamed(uri)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(append(slices.Clone(tags), digests...), func(name string) bool {
		n, err := reference.ParseNormalizedNamed(name)
		return err == nil && n.String() == want.String()
	})
}

// ValidReference reports whether uri is an image reference as Lambda takes them
// (rules.ValidImageURI): "repo:tag" or "repo@sha256:<64 hex>", never a bare repository, an image
// ID or an ID prefix.
func ValidReference(uri string) bool { return rules.ValidImageURI(uri) }
