package invoker

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/contract/function"
)

// withLogging sets what the agent needs of spec's logging in cfg: the log format, the system
// and application log levels, and for a zip function the runtime its INIT_START line names.
func withLogging(cfg agentproto.Config, spec function.Spec, image string) agentproto.Config {
	cfg.LogFormat = spec.Logging.LogFormat
	cfg.SystemLogLevel = spec.Logging.SystemLogLevel
	cfg.ApplicationLogLevel = spec.Logging.ApplicationLogLevel
	if spec.Image == "" && spec.Runtime != "" {
		cfg.RuntimeVersion, cfg.RuntimeVersionARN = runtimeVersion(spec, image)
	}
	return cfg
}

// runtimeVersion names a zip function's runtime as Lambda's INIT_START does: the runtime
// family and version (python3.13 → python:3.13, provided.al2023 → provided:al2023,
// nodejs22.x → nodejs:22.x), and a runtime version ARN in the function's region whose id is a
// digest of the image the runtime runs on, so that it changes when the image does.
func runtimeVersion(spec function.Spec, image string) (version, arn string) {
	id := spec.Runtime
	if i := strings.IndexAny(id, "0123456789."); i > 0 {
		version = id[:i] + ":" + strings.TrimPrefix(id[i:], ".")
	} else {
		version = id
	}
	sum := sha256.Sum256([]byte(image))
	return version, "arn:aws:lambda:" + spec.WithDefaults().Region + "::runtime:" + hex.EncodeToString(sum[:])
}
