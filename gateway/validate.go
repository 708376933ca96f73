package gateway

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

var (
	handlerPattern = regexp.MustCompile(`^[^\s]+$`)
	envKeyPattern  = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]+$`)
)

// reservedEnv are the variables the platform sets, which a function may not override
// (lambda-api.md §2.1).
var reservedEnv = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_REGION": true, "AWS_DEFAULT_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true,
	"AWS_LAMBDA_LOG_GROUP_NAME": true, "AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY": true,
	"AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true,
	"AWS_LAMBDA_RUNTIME_API": true, "LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true, "TZ": true,
}

// constraint is Lambda's wording for a field that fails a model constraint, naming the field.
func constraint(field, format string, args ...any) error {
	return lambdaerr.InvalidParameter("'%s' value failed to satisfy constraint: Member must %s",
		field, fmt.Sprintf(format, args...))
}

// validRange checks lo ≤ v ≤ hi for the named field.
func validRange(field string, v, lo, hi int) error {
	if v < lo {
		return constraint(field, "have value greater than or equal to %d", lo)
	}
	if v > hi {
		return constraint(field, "have value less than or equal to %d", hi)
	}
	return nil
}

// validateFunction checks a function's configuration as it would be stored (after defaults and
// updates were applied), so create and update share one set of rules.
func validateFunction(f *store.Function) error {
	if err := validatePackage(f); err != nil {
		return err
	}
	if len(f.Description) > rules.MaxDescriptionLen {
		return constraint("Description", "have length less than or equal to %d", rules.MaxDescriptionLen)
	}
	if err := validRange("MemorySize", f.MemoryMB, rules.MinMemoryMB, rules.MaxMemoryMB); err != nil {
		return err
	}
	if err := validRange("Timeout", f.TimeoutSec, rules.MinTimeoutSec, rules.MaxTimeoutSec); err != nil {
		return err
	}
	if err := validRange("EphemeralStorage.Size", f.EphemeralMB, rules.MinEphemeralMB, rules.MaxEphemeralMB); err != nil {
		return err
	}
	if err := validateLogging(f); err != nil {
		return err
	}
	return validateEnvironment(f.Environment)
}

// validatePackage checks what depends on the package type: an image function's ImageConfig and
// absent Runtime and Handler, a zip function's Runtime and Handler.
func validatePackage(f *store.Function) error {
	if f.PackageType == lambdaapi.PackageTypeImage {
		return validateImageFunction(f)
	}
	if f.ImageConfig != nil {
		return lambdaerr.InvalidParameter(msgImageConfigOnZip)
	}
	if f.Runtime == "" || f.Handler == "" {
		return lambdaerr.InvalidParameter(
			"Runtime and Handler are mandatory parameters for functions created with deployment packages.")
	}
	if err := validateRuntime(f.Runtime); err != nil {
		return err
	}
	if len(f.Handler) > rules.MaxHandlerLen {
		return constraint("Handler", "have length less than or equal to %d", rules.MaxHandlerLen)
	}
	if !handlerPattern.MatchString(f.Handler) {
		return constraint("Handler", `satisfy regular expression pattern: [^\s]+`)
	}
	return nil
}

// validateEnvironment checks keys, reserved names and the 4 KB limit (measured, as Lambda does,
// on the JSON of the variables).
func validateEnvironment(env map[string]string) error {
	var reserved []string
	for k := range env {
		if !envKeyPattern.MatchString(k) {
			return lambdaerr.InvalidParameter("'Environment.Variables' value failed to satisfy constraint: " +
				"Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]")
		}
		if reservedEnv[k] {
			reserved = append(reserved, k)
		}
	}
	if len(reserved) > 0 {
		sort.Strings(reserved)
		return lambdaerr.InvalidParameter("Lambda was unable to configure your environment variables because the "+
			"environment variables you have provided contains reserved keys that are currently not supported "+
			"for modification. Reserved keys used in this request: %s", strings.Join(reserved, ", "))
	}
	b, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("measure environment: %w", err)
	}
	if len(env) > 0 && len(b) > rules.MaxEnvBytes {
		return lambdaerr.InvalidParameter("Lambda was unable to configure your environment variables because the "+
			"environment variables you have provided exceeded the 4KB limit. String measured: %d bytes", len(b))
	}
	return nil
}

// validateArchitectures accepts nothing (the default) or exactly ["x86_64"].
func validateArchitectures(archs []string) error {
	if len(archs) == 0 || (len(archs) == 1 && archs[0] == lambdaapi.ArchitectureX8664) {
		return nil
	}
	if len(archs) > 1 {
		return constraint("Architectures", "have length less than or equal to 1")
	}
	return constraint("Architectures", "satisfy enum value set: [x86_64] (%s is not supported by Lambdock)", archs[0])
}

// validateZip checks that b is a readable zip within Lambda's zipped and unzipped size limits.
func validateZip(b []byte) error {
	if len(b) > rules.MaxZippedBytes {
		return lambdaerr.New(http.StatusRequestEntityTooLarge, lambdaerr.CodeRequestTooLarge,
			"Zipped size must be smaller than %d bytes", rules.MaxZippedBytes)
	}
	r, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return lambdaerr.InvalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again.")
	}
	if declaredSize(r) > rules.MaxUnzippedBytes {
		return lambdaerr.InvalidParameter("Unzipped size must be smaller than %d bytes", rules.MaxUnzippedBytes)
	}
	return nil
}

// unzippedSize is the declared size of a zip's files (the zip was validated: it opens).
func unzippedSize(b []byte) int64 {
	r, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return 0
	}
	return int64(declaredSize(r))
}

// declaredSize is the sum of the uncompressed sizes a zip's headers declare.
func declaredSize(r *zip.Reader) uint64 {
	var n uint64
	for _, f := range r.File {
		n += f.UncompressedSize64
	}
	return n
}

// codeSource returns the zip of a code upload, refusing the sources Lambdock does not support.
func codeSource(zipFile []byte, s3Bucket, s3Key, imageURI string) ([]byte, error) {
	switch {
	case imageURI != "":
		return nil, lambdaerr.InvalidParameter(msgImageURIForZip)
	case s3Bucket != "" || s3Key != "":
		return nil, lambdaerr.InvalidParameter("S3 code locations are not supported by Lambdock; upload a .zip file as ZipFile.")
	case len(zipFile) == 0:
		return nil, lambdaerr.InvalidParameter("Please provide a source for function code.")
	}
	return zipFile, validateZip(zipFile)
}
