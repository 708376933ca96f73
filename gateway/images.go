package gateway

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/lambda/runtimes"
	"github.com/lambdock/lambdock/internal/store"
)

// ImageResolver finds the image a container-image function's ImageUri names (implemented with
// the Docker Engine API by internal/infra/dockerimage.Resolver).
type ImageResolver interface {
	// ResolveImage returns the ID ("sha256:<hex>") of the image uri names, which is what the
	// function runs until its next UpdateFunctionCode: retagging uri later does not change it.
	// Only an image that carries uri as a tag or repository digest resolves (never an image ID
	// or an ID prefix). ok is false when there is no such image or uri is not an image
	// reference; err is a failure to ask.
	ResolveImage(ctx context.Context, uri string) (id string, ok bool, err error)
	// LocalImage is ResolveImage without pulling: the ID of an image already on the host.
	LocalImage(ctx context.Context, uri string) (id string, ok bool, err error)
}

// The InvalidParameterValueException messages of container-image functions, as Lambda words them.
const (
	msgImageFields      = "Please don't provide Handler or Runtime or Layer when the intended function PackageType is Image."
	msgImageURIOnZip    = "Please don't provide ImageUri when updating a function with packageType Zip."
	msgNoImageURI       = "Please provide ImageUri when updating a function with packageType Image."
	msgImageURIForZip   = "Please don't provide ImageUri when the intended function PackageType is Zip."
	msgNoImageURICreate = "Please provide ImageUri when the intended function PackageType is Image."
	msgImageConfigOnZip = "ImageConfig is only for functions with PackageType Image."
)

// setImage resolves uri and makes it f's code: ImageURI as given, ImageDigest the pinned image
// ID, CodeSHA256 its hex (Lambda's CodeSha256 of an image function is the image digest) and
// CodeSize 0, as Lambda reports for images. The image must be one f's account may use
// (mayUseImage, which claims it unless dryRun); an image it may not use is answered exactly like
// a missing one.
func (g *Gateway) setImage(ctx context.Context, f *store.Function, uri string, dryRun bool) error {
	if uri == "" {
		return lambdaerr.InvalidParameter(msgNoImageURICreate)
	}
	if g.cfg.Images == nil {
		return lambdaerr.InvalidParameter("Container image functions need a Docker Engine, and this gateway has none configured.")
	}
	if !rules.ValidImageURI(uri) {
		return lambdaerr.InvalidParameter("Source image %s is not valid. Provide a valid source image.", uri)
	}
	id, ok, err := g.cfg.Images.ResolveImage(ctx, uri)
	if err != nil {
		return fmt.Errorf("resolve image %s of %s: %w", uri, f.Name, err)
	}
	if ok {
		if ok, err = g.mayUseImage(ctx, f.AccountID, id, !dryRun); err != nil {
			return fmt.Errorf("image %s of %s: %w", uri, f.Name, err)
		}
	}
	if !ok {
		return lambdaerr.InvalidParameter("Source image %s does not exist. Provide a valid source image.", uri)
	}
	f.ImageURI, f.ImageDigest = uri, id
	f.CodeSHA256, f.CodeSize = strings.TrimPrefix(id, "sha256:"), 0
	return nil
}

// mayUseImage reports whether account may run the image with ID id, and with claim makes the
// account its owner when no account is. The admin account may use every image and claims
// none; Lambdock's runtime images (internal/lambda/runtimes) are every account's and never
// claimed; any other image belongs to the first account that deploys it. This keeps one
// account from running another's images, and images the operator keeps on the host for other
// purposes once somebody deployed them; an image nobody deployed yet goes to whoever names it
// first.
func (g *Gateway) mayUseImage(ctx context.Context, account, id string, claim bool) (bool, error) {
	if account == tenant.AdminAccountID {
		return true, nil
	}
	public, err := g.runtimeImage(ctx, id)
	if err != nil || public {
		return public, err
	}
	if !claim {
		return g.cfg.Store.MayUseImage(ctx, account, id)
	}
	return g.cfg.Store.ClaimImage(ctx, account, id)
}

// runtimeImage reports whether id is the ID of one of Lambdock's runtime images on the host
// (looked up each time: `make images` rebuilds them with new IDs).
func (g *Gateway) runtimeImage(ctx context.Context, id string) (bool, error) {
	seen := map[string]bool{}
	for _, ref := range runtimes.Images() {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		rid, ok, err := g.cfg.Images.LocalImage(ctx, ref)
		if err != nil {
			return false, fmt.Errorf("look up runtime image %s: %w", ref, err)
		}
		if ok && rid == id {
			return true, nil
		}
	}
	return false, nil
}

// createImageCode is CreateFunction's code for PackageType Image: the image of Code.ImageUri
// (never a zip) and the ImageConfig. Layers were refused already (checkUnsupported).
func (g *Gateway) createImageCode(ctx context.Context, f *store.Function, in *lambdaapi.CreateFunctionInput) error {
	if len(in.Code.ZipFile) > 0 || in.Code.S3Bucket != "" || in.Code.S3Key != "" {
		return lambdaerr.InvalidParameter(msgNoImageURICreate)
	}
	return g.setImage(ctx, f, in.Code.ImageURI, false)
}

// updateImageCode is UpdateFunctionCode for an image function (a new ImageUri, resolved again
// even when it is the same: that is how a retagged image reaches the function) and the refusal
// of an ImageUri for a zip function.
func (g *Gateway) updateImageCode(ctx context.Context, f *store.Function, in *lambdaapi.UpdateFunctionCodeInput) error {
	switch {
	case f.PackageType != lambdaapi.PackageTypeImage:
		return lambdaerr.InvalidParameter(msgImageURIOnZip)
	case in.ImageURI == "" || len(in.ZipFile) > 0 || in.S3Bucket != "" || in.S3Key != "":
		return lambdaerr.InvalidParameter(msgNoImageURI)
	}
	return g.setImage(ctx, f, in.ImageURI, in.DryRun)
}

// validateImageFunction checks what an image function must (not) have: no Runtime, Handler or
// Layers, and an ImageConfig within Lambda's limits with an absolute WorkingDirectory.
func validateImageFunction(f *store.Function) error {
	if f.Runtime != "" || f.Handler != "" || len(f.Layers) > 0 {
		return lambdaerr.InvalidParameter(msgImageFields)
	}
	ic := f.ImageConfig
	if ic == nil {
		return nil
	}
	for field, list := range map[string][]string{"EntryPoint": ic.EntryPoint, "Command": ic.Command} {
		if len(list) > rules.MaxImageConfigItems {
			return constraint("ImageConfig."+field, "have length less than or equal to %d", rules.MaxImageConfigItems)
		}
		if slices.ContainsFunc(list, func(s string) bool { return strings.ContainsRune(s, 0) }) {
			return lambdaerr.InvalidParameter("ImageConfig.%s must not contain NUL characters.", field)
		}
	}
	if len(ic.WorkingDirectory) > rules.MaxImageWorkingDirLen {
		return constraint("ImageConfig.WorkingDirectory", "have length less than or equal to %d", rules.MaxImageWorkingDirLen)
	}
	if wd := ic.WorkingDirectory; wd != "" && (!path.IsAbs(wd) || strings.ContainsRune(wd, 0)) {
		return lambdaerr.InvalidParameter("ImageConfig.WorkingDirectory must be an absolute path: %s", wd)
	}
	return nil
}

// storeImageConfig is the ImageConfig to store: nil for an absent or empty one.
func storeImageConfig(in *lambdaapi.ImageConfig) *store.ImageConfig {
	if in == nil || (len(in.EntryPoint) == 0 && len(in.Command) == 0 && in.WorkingDirectory == "") {
		return nil
	}
	return &store.ImageConfig{
		EntryPoint:       slices.Clone(in.EntryPoint),
		Command:          slices.Clone(in.Command),
		WorkingDirectory: in.WorkingDirectory,
	}
}

// imageConfigResponse renders a stored ImageConfig (nil for none).
func imageConfigResponse(ic *store.ImageConfig) *lambdaapi.ImageConfigResponse {
	if ic == nil {
		return nil
	}
	return &lambdaapi.ImageConfigResponse{ImageConfig: &lambdaapi.ImageConfig{
		EntryPoint:       slices.Clone(ic.EntryPoint),
		Command:          slices.Clone(ic.Command),
		WorkingDirectory: ic.WorkingDirectory,
	}}
}

// imageCodeLocation is GetFunction's Code of an image function: the ImageUri as given and the
// image it resolved to, repository@<image ID>, in the place of Lambda's
// repository@<manifest digest>.
func imageCodeLocation(f *store.Function) lambdaapi.CodeLocation {
	return lambdaapi.CodeLocation{
		RepositoryType:   lambdaapi.RepositoryTypeECR,
		ImageURI:         f.ImageURI,
		ResolvedImageURI: imageRepository(f.ImageURI) + "@" + f.ImageDigest,
	}
}

// imageRepository is uri without its tag or digest ("app:v2" → "app"; a registry host's port
// stays: "localhost:5000/app:v2" → "localhost:5000/app").
func imageRepository(uri string) string {
	if i := strings.IndexByte(uri, '@'); i >= 0 {
		uri = uri[:i]
	}
	slash := strings.LastIndexByte(uri, '/')
	if colon := strings.LastIndexByte(uri, ':'); colon > slash {
		uri = uri[:colon]
	}
	return uri
}
