package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

// setLayers resolves a function's Layers (layer version ARNs, in order) in f's account, checks
// that the function's code (codeBytes unzipped) and the layers stay within Lambda's 250 MB, and
// sets f.Layers. A version the function already uses stays usable after it was deleted, as in
// Lambda; any other must exist.
func (g *Gateway) setLayers(ctx context.Context, f *store.Function, arns []string, codeBytes int64) error {
	if len(arns) > 0 && f.PackageType == lambdaapi.PackageTypeImage {
		return lambdaerr.InvalidParameter("Layers are only supported for functions with PackageType Zip.")
	}
	if len(arns) > lambdaapi.MaxFunctionLayers {
		return constraint("Layers", "have length less than or equal to %d", lambdaapi.MaxFunctionLayers)
	}
	current := map[string]store.FunctionLayer{}
	for _, l := range f.Layers {
		current[l.ARN] = l
	}
	var out []store.FunctionLayer
	seen := map[string]string{} // layer ARN → the version ARN that named it
	for _, arn := range arns {
		p, ok := parseLayerVersionARN(arn)
		if !ok {
			return constraint("Layers", "satisfy regular expression pattern: "+
				"arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+")
		}
		canonical := g.layerVersionARN(p.Account, p.Name, p.Version)
		layer := g.layerARN(p.Account, p.Name)
		if prev, dup := seen[layer]; dup {
			if prev == canonical {
				return lambdaerr.InvalidParameter("Duplicate layer version ARNs are not allowed: %s", arn)
			}
			return lambdaerr.InvalidParameter("Two different versions of the same layer are not allowed to be "+
				"referenced in the same function. %s and %s", prev, canonical)
		}
		seen[layer] = canonical
		if l, ok := current[canonical]; ok {
			out = append(out, l)
			continue
		}
		l, err := g.functionLayer(ctx, f.AccountID, arn, p)
		if err != nil {
			return err
		}
		out = append(out, l)
	}
	if err := checkCombinedSize(codeBytes, out); err != nil {
		return err
	}
	f.Layers = out
	return nil
}

// functionLayer looks up one layer version a function is to use, in account.
func (g *Gateway) functionLayer(ctx context.Context, account, arn string, p layerVersionARN) (store.FunctionLayer, error) {
	missing := lambdaerr.InvalidParameter("Layer version %s does not exist.", arn)
	if p.Account != account || p.Region != g.cfg.Region { // layers are not shared across accounts
		return store.FunctionLayer{}, missing
	}
	v, err := g.cfg.Store.GetLayerVersion(ctx, account, p.Name, p.Version)
	if errors.Is(err, store.ErrNotFound) {
		return store.FunctionLayer{}, missing
	}
	if err != nil {
		return store.FunctionLayer{}, fmt.Errorf("get layer %s version %d: %w", p.Name, p.Version, err)
	}
	return store.FunctionLayer{ARN: g.layerVersionARN(account, p.Name, p.Version), CodeSHA256: v.CodeSHA256,
		CodeSize: v.CodeSize, UnzippedSize: v.UnzippedSize}, nil
}

// replaceLayers is UpdateFunctionConfiguration's Layers: the new list replaces f's, measured
// with f's stored code.
func (g *Gateway) replaceLayers(ctx context.Context, f *store.Function, arns []string) error {
	var codeBytes int64
	if fetcher := g.codeFetcher(); len(arns) > 0 && fetcher != nil && f.CodeSHA256 != "" {
		zip, err := fetcher.FetchCode(ctx, f.CodeSHA256)
		if err != nil {
			return fmt.Errorf("measure code of %s: %w", f.Name, err)
		}
		codeBytes = unzippedSize(zip)
	}
	return g.setLayers(ctx, f, arns, codeBytes)
}

// checkCombinedSize applies Lambda's limit on the unzipped function code plus its layers.
func checkCombinedSize(codeBytes int64, layers []store.FunctionLayer) error {
	total := codeBytes
	for _, l := range layers {
		total += l.UnzippedSize
	}
	if len(layers) > 0 && total > rules.MaxUnzippedBytes {
		return lambdaerr.InvalidParameter("Function code combined with layers exceeds the maximum allowed size "+
			"of %d bytes. The actual size is %d bytes.", rules.MaxUnzippedBytes, total)
	}
	return nil
}

// layerShapes renders a function's layers for FunctionConfiguration.Layers.
func layerShapes(layers []store.FunctionLayer) []lambdaapi.Layer {
	if len(layers) == 0 {
		return nil
	}
	out := make([]lambdaapi.Layer, len(layers))
	for i, l := range layers {
		out[i] = lambdaapi.Layer{Arn: l.ARN, CodeSize: l.CodeSize}
	}
	return out
}
