package invoker

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
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

// runtimeVersion names a zip function's runtime as Lambda's INIT_START does (python:3.13.v16,
// nodejs:20.v27, provided:al2023.v42): the runtime family and version (python3.13 →
// python:3.13, provided.al2023 → provided:al2023, nodejs22.x → nodejs:22; a runtime without a
// version, such as provided, is its family alone) and a build marker v<n>, where Lambda counts
// its builds of the runtime. Lambdock has no such count: n (1 to 99) is derived from the image
// the runtime runs on, fixed for that image. The runtime version ARN is in the function's region,
// its id a digest of the same image, so that both change when the image does.
func runtimeVersion(spec function.Spec, image string) (version, arn string) {
	family, release := spec.Runtime, ""
	if i := strings.IndexAny(family, "0123456789."); i > 0 {
		family, release = family[:i], strings.TrimSuffix(strings.TrimPrefix(family[i:], "."), ".x")
	}
	sum := sha256.Sum256([]byte(image))
	build := "v" + strconv.Itoa(1+int(binary.BigEndian.Uint16(sum[:2]))%99)
	if release == "" {
		version = family + ":" + build
	} else {
		version = family + ":" + release + "." + build
	}
	return version, "arn:aws:lambda:" + spec.WithDefaults().Region + "::runtime:" + hex.EncodeToString(sum[:])
}
