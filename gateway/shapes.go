package gateway

import (
	"encoding/base64"
	"encoding/hex"
	"maps"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

// configuration renders a stored function as Lambda's FunctionConfiguration: $LATEST with its
// unqualified ARN, a published version with Version "N" and FunctionArn …:function:name:N.
func (g *Gateway) configuration(f *store.Function) *lambdaapi.FunctionConfiguration {
	return g.qualifiedConfiguration(f, "")
}

// qualifiedConfiguration is configuration with FunctionArn qualified by the qualifier the caller
// named ($LATEST, the version, or an alias pointing to f) when it is not "".
func (g *Gateway) qualifiedConfiguration(f *store.Function, qualifier string) *lambdaapi.FunctionConfiguration {
	eph := f.EphemeralMB
	arn := g.arn(f.AccountID, f.Name)
	if qualifier == "" && f.Version != 0 {
		qualifier = f.VersionName()
	}
	if qualifier != "" {
		arn += ":" + qualifier
	}
	out := &lambdaapi.FunctionConfiguration{
		FunctionName:     f.Name,
		FunctionArn:      arn,
		Runtime:          f.Runtime,
		Role:             f.Role,
		Handler:          f.Handler,
		CodeSize:         f.CodeSize,
		Description:      f.Description,
		Timeout:          f.TimeoutSec,
		MemorySize:       f.MemoryMB,
		LastModified:     f.LastModified.UTC().Format(lambdaapi.TimeFormat),
		CodeSha256:       codeSha256(f.CodeSHA256),
		Version:          f.VersionName(),
		TracingConfig:    lambdaapi.TracingConfig{Mode: lambdaapi.TracingPassThrough},
		RevisionID:       f.RevisionID,
		State:            lambdaapi.StateActive,
		LastUpdateStatus: lambdaapi.LastUpdateSuccessful,
		PackageType:      f.PackageType,
		Architectures:    []string{lambdaapi.ArchitectureX8664},
		EphemeralStorage: lambdaapi.EphemeralStorage{Size: &eph},
		LoggingConfig:    loggingConfig(f),
	}
	if out.PackageType == "" {
		out.PackageType = lambdaapi.PackageTypeZip
	}
	if out.PackageType == lambdaapi.PackageTypeImage { // CodeSha256 is the image digest, in hex
		out.CodeSha256, out.ImageConfigResponse = f.CodeSHA256, imageConfigResponse(f.ImageConfig)
	}
	if f.Architecture != "" {
		out.Architectures = []string{f.Architecture}
	}
	if len(f.Environment) > 0 {
		out.Environment = &lambdaapi.EnvironmentResponse{Variables: maps.Clone(f.Environment)}
	}
	out.Layers = layerShapes(f.Layers)
	return out
}

// codeSha256 turns the stored hex SHA-256 into Lambda's CodeSha256 (base64 of the digest).
func codeSha256(hexSum string) string {
	sum, err := hex.DecodeString(hexSum)
	if err != nil { // not hex: report it as stored rather than hide it
		return hexSum
	}
	return base64.StdEncoding.EncodeToString(sum)
}

// newFunction builds the record CreateFunction stores in the account, with Lambda's defaults for absent fields.
func (g *Gateway) newFunction(account, name string, in *lambdaapi.CreateFunctionInput) *store.Function {
	f := &store.Function{
		AccountID:    account,
		Name:         name,
		Runtime:      in.Runtime,
		Role:         in.Role,
		Handler:      in.Handler,
		Description:  in.Description,
		MemoryMB:     rules.DefaultMemoryMB,
		TimeoutSec:   rules.DefaultTimeoutSec,
		EphemeralMB:  rules.DefaultEphemeralMB,
		Architecture: lambdaapi.ArchitectureX8664,
		PackageType:  lambdaapi.PackageTypeZip,
	}
	if in.PackageType == lambdaapi.PackageTypeImage {
		f.PackageType = lambdaapi.PackageTypeImage
	}
	f.ImageConfig = storeImageConfig(in.ImageConfig) // validatePackage refuses it on a zip function
	if f.Role == "" {
		f.Role = "arn:aws:iam::" + account + ":role/lambdock"
	}
	if in.MemorySize != nil {
		f.MemoryMB = *in.MemorySize
	}
	if in.Timeout != nil {
		f.TimeoutSec = *in.Timeout
	}
	if in.EphemeralStorage != nil && in.EphemeralStorage.Size != nil {
		f.EphemeralMB = *in.EphemeralStorage.Size
	}
	if in.Environment != nil && len(in.Environment.Variables) > 0 {
		f.Environment = maps.Clone(in.Environment.Variables)
	}
	applyLogging(f, in.LoggingConfig)
	return f
}

// applyConfiguration applies UpdateFunctionConfiguration's present fields to f.
func applyConfiguration(f *store.Function, in *lambdaapi.UpdateFunctionConfigurationInput) {
	setIf(&f.Role, in.Role)
	setIf(&f.Handler, in.Handler)
	setIf(&f.Description, in.Description)
	setIf(&f.Runtime, in.Runtime)
	setIf(&f.TimeoutSec, in.Timeout)
	setIf(&f.MemoryMB, in.MemorySize)
	if in.EphemeralStorage != nil {
		setIf(&f.EphemeralMB, in.EphemeralStorage.Size)
	}
	if in.ImageConfig != nil {
		f.ImageConfig = storeImageConfig(in.ImageConfig)
	}
	if in.Environment != nil {
		f.Environment = nil
		if len(in.Environment.Variables) > 0 {
			f.Environment = maps.Clone(in.Environment.Variables)
		}
	}
	applyLogging(f, in.LoggingConfig)
}

// setIf sets *dst to *src when src is present.
func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
