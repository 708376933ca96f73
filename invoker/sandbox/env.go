package sandbox

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/contract/function"
)

// reserved reports whether k is a Lambda variable a function's configuration cannot set
// (lambda-api.md §2.1, from the developer guide's list): the platform's value wins, and where
// the platform sets none (credentials, the trace id), the function's value is dropped.
func reserved(k string) bool {
	switch k {
	case "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
		"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
		"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
		"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ":
		return true
	}
	return false
}

// unreservedDefaults are platform variables a function (or an image's ENV) may override.
func unreservedDefaults() map[string]string {
	return map[string]string{
		"LANG":            "en_US.UTF-8",
		"PATH":            "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LD_LIBRARY_PATH": "/lib64:/usr/lib64:" + RuntimeDir + ":" + RuntimeDir + "/lib:" + TaskRoot + ":" + TaskRoot + "/lib:/opt/lib",
	}
}

// Environment is the container's environment, which the agent passes to the runtime unchanged:
// unreserved defaults (unless the image sets them), then the function's own variables (reserved
// and malformed keys dropped), then the reserved platform values. Sorted, for stable output.
func Environment(p Params) []string {
	s := p.Spec
	env := map[string]string{}
	imageKeys := map[string]bool{}
	for _, kv := range p.ImageEnv {
		k, _, _ := strings.Cut(kv, "=")
		imageKeys[k] = true
	}
	for k, v := range unreservedDefaults() {
		if !imageKeys[k] {
			env[k] = v
		}
	}
	for k, v := range s.Environment {
		if !reserved(k) && validKey(k) && !strings.ContainsRune(v, 0) {
			env[k] = v
		}
	}
	platform := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          agentproto.RuntimeAPIAddr,
		"_HANDLER":                        p.Handler,
		"LAMBDA_TASK_ROOT":                TaskRoot,
		"LAMBDA_RUNTIME_DIR":              RuntimeDir,
		"AWS_REGION":                      s.Region,
		"AWS_DEFAULT_REGION":              s.Region,
		"AWS_LAMBDA_FUNCTION_NAME":        s.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(s.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION":     s.Version,
		"AWS_LAMBDA_INITIALIZATION_TYPE":  cmp.Or(p.InitializationType, agentproto.InitOnDemand),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + s.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      LogStreamName(p),
		"TZ":                              ":UTC",
	}
	if s.Logging.LogGroup != "" {
		platform["AWS_LAMBDA_LOG_GROUP_NAME"] = s.Logging.LogGroup
	}
	if s.Logging.LogFormat == function.LogFormatJSON { // the runtimes' own loggers write JSON at this level
		platform["AWS_LAMBDA_LOG_FORMAT"] = function.LogFormatJSON
		platform["AWS_LAMBDA_LOG_LEVEL"] = cmp.Or(s.Logging.ApplicationLogLevel, function.LogLevelInfo)
	}
	if s.Runtime != "" && !strings.HasPrefix(s.Runtime, "provided") {
		platform["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + s.Runtime
	}
	maps.Copy(env, platform)

	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// containerEnv is the container's own environment: Environment for a function; for a stem only
// the unreserved defaults, as it has no function yet (its runtime gets Environment of the
// function it is specialised for, through the agent).
func containerEnv(p Params) []string {
	if p.StemKey == "" {
		return Environment(p)
	}
	env := unreservedDefaults()
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// LogStreamName is the environment's log stream, YYYY/MM/DD/[<version>]<env id>.
func LogStreamName(p Params) string {
	return p.Created.UTC().Format("2006/01/02") + "/[" + p.Spec.Version + "]" + p.EnvID
}

// validKey reports whether k can be an environment variable name in a container.
func validKey(k string) bool {
	return k != "" && !strings.ContainsAny(k, "=\x00")
}
