package invoker

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/lambda/runtimes"
)

// Defaults of Config.
const (
	// DefaultKeepAlive is how long an idle container stays warm.
	DefaultKeepAlive = 10 * time.Minute
	// DefaultPidsLimit is Lambda's limit on processes and threads.
	DefaultPidsLimit = 1024
	// DefaultUser is the uid:gid functions run as (the base images' non-root user).
	DefaultUser = "993:990"
	// DefaultRuntimeImage is the image of the provided runtimes (built by `make images`).
	DefaultRuntimeImage = "lambdock/provided:al2023"
	// DefaultPrewarm is how many pre-warmed containers are kept per shape.
	DefaultPrewarm = 1
	// DefaultMaxConcurrentStarts bounds the containers being created and started at once.
	DefaultMaxConcurrentStarts = 4
	// defaultCapacityShare is the share of host memory containers may hold by default.
	defaultCapacityShare = 0.8
	// DefaultQueueWait is how long an invocation waits for room when the host is full.
	DefaultQueueWait = 2 * time.Second
	// DefaultOvercommit is the factor by which memory limits may exceed CapacityMB.
	DefaultOvercommit = 1.5
	// DefaultProvisionedMeterInterval is how often provisioned time is recorded per environment.
	DefaultProvisionedMeterInterval = time.Minute
	// DefaultInitCPUs is the CPU quota, in vCPUs, of an environment's first init (capped by the
	// host's CPUs).
	DefaultInitCPUs = 2.0
)

// Config configures an Invoker. The Docker daemon is taken from the environment (DOCKER_HOST,
// DOCKER_API_VERSION, DOCKER_CERT_PATH, DOCKER_TLS_VERIFY), and must run on this host: code and
// channel directories are bind-mounted from DataDir.
type Config struct {
	// ID names this invoker; its containers carry it as a label. Default: the hostname.
	ID string
	// DataDir holds the code cache (DataDir/code) and the channel directories
	// (DataDir/run/<ID>). Required. One invoker per DataDir.
	DataDir string
	// AgentBinary is the host path of the static lambdock-agent binary. Required.
	AgentBinary string
	// RuntimeImages maps a runtime identifier to its base image. Default: the catalogue of
	// package runtimes (runtimes.Images()).
	RuntimeImages map[string]string
	// CapacityMB is the memory the invoker's containers may hold together. Default: 80% of the
	// Docker host's memory.
	CapacityMB int
	// KeepAlive is how long an idle container stays warm. Default 10 minutes.
	KeepAlive time.Duration
	// PidsLimit caps processes and threads per container. Default 1024 (Lambda's limit).
	PidsLimit int64
	// CodeFetcher returns zips by hash on a code-cache miss. Required for zip functions.
	CodeFetcher CodeFetcher
	// User is the numeric uid:gid functions run as. Default 993:990.
	User string
	// Prewarm is how many pre-warmed containers ("stem cells", specialised for a zip function on
	// its first use) are kept per shape. 0 means DefaultPrewarm; negative means none.
	Prewarm int
	// PrewarmShapes are the shapes always kept pre-warmed; shapes of cold-started functions are
	// added while they are used. Default: the images of the provided runtimes (and of runtimes
	// outside the catalogue) at the default memory (128 MB) and ephemeral storage (512 MB); the
	// language runtimes' images are pre-warmed once a function of theirs has cold-started.
	PrewarmShapes []Shape
	// MaxConcurrentStarts bounds the containers being created and started at once (cold starts
	// and pre-warming together). 0 means DefaultMaxConcurrentStarts.
	MaxConcurrentStarts int
	// QueueWait bounds how long an invocation waits for room (an environment of its function
	// released, or memory freed) when the host is full, before the 429 TooManyRequestsException
	// (HostCapacityExceeded); the function's timeout bounds it too. Default 2 s; negative: no
	// wait.
	QueueWait time.Duration
	// Overcommit lets the memory limits of the containers add up to CapacityMB × Overcommit:
	// functions rarely use all of their limit. A monitor watches the host's actual memory and
	// evicts idle containers when it runs short (monitor.go). Default 1.5; 1 disables.
	Overcommit float64
	// InitCPUs is the CPU quota, in vCPUs, an environment gets for its first init (at container
	// start, or a pre-warmed container's specialisation): Lambda's init burst. It is capped by
	// the host's CPUs and never below the function's own quota (MemorySize/1769 vCPU), to which
	// the container is lowered once that init has ended. 0 means DefaultInitCPUs (so
	// min(2, host CPUs)); negative means no burst.
	InitCPUs float64
	// LogPublisher receives the functions' log lines, batched, on msg.LogsSubject (JetStream,
	// stream LAMBDOCK_LOGS: logstore.EnsureStream). nil: the lines are not collected.
	LogPublisher LogPublisher
	// HostMemory reads the host's available memory and pressure for that monitor. Default: the
	// host's /proc (meminfo and pressure/memory).
	HostMemory HostMemory
	// Metrics is where the invoker registers its collectors (metrics.go); nil registers none.
	Metrics prometheus.Registerer
	// Usage receives the usage records of provisioned time (msg.InvocationTypeProvisioned: one
	// per provisioned environment and ProvisionedMeterInterval, and one at its teardown). nil:
	// provisioned time is not recorded.
	Usage UsagePublisher
	// ProvisionedMeterInterval is how often the provisioned time of each provisioned
	// environment is recorded. Default DefaultProvisionedMeterInterval.
	ProvisionedMeterInterval time.Duration
}

// withDefaults fills unset fields; hostMemoryBytes sizes the default capacity.
func (c Config) withDefaults(hostMemoryBytes int64) (Config, error) {
	if c.ID == "" {
		h, err := os.Hostname()
		if err != nil {
			return c, fmt.Errorf("invoker: default ID: %w", err)
		}
		c.ID = strings.Map(func(r rune) rune {
			if validIDRune(r) {
				return r
			}
			return '-'
		}, h)
	}
	if c.ID == "" || strings.IndexFunc(c.ID, func(r rune) bool { return !validIDRune(r) }) >= 0 {
		return c, fmt.Errorf("invoker: ID %q must be made of letters, digits, '-' and '_'", c.ID)
	}
	if c.DataDir == "" {
		return c, errors.New("invoker: Config.DataDir is required")
	}
	if c.AgentBinary == "" {
		return c, errors.New("invoker: Config.AgentBinary is required")
	}
	var err error
	if c.DataDir, err = filepath.Abs(c.DataDir); err != nil {
		return c, fmt.Errorf("invoker: DataDir: %w", err)
	}
	if c.AgentBinary, err = filepath.Abs(c.AgentBinary); err != nil {
		return c, fmt.Errorf("invoker: AgentBinary: %w", err)
	}
	if fi, err := os.Stat(c.AgentBinary); err != nil || !fi.Mode().IsRegular() {
		return c, fmt.Errorf("invoker: agent binary %s is not a file (build it with CGO_ENABLED=0 go build ./cmd/lambdock-agent): %v", c.AgentBinary, err)
	}
	if c.ProvisionedMeterInterval <= 0 {
		c.ProvisionedMeterInterval = DefaultProvisionedMeterInterval
	}
	if c.RuntimeImages == nil {
		c.RuntimeImages = runtimes.Images()
	}
	if c.CapacityMB == 0 {
		c.CapacityMB = int(float64(hostMemoryBytes>>20) * defaultCapacityShare)
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = DefaultKeepAlive
	}
	if c.PidsLimit == 0 {
		c.PidsLimit = DefaultPidsLimit
	}
	if c.User == "" {
		c.User = DefaultUser
	}
	if c.Prewarm == 0 {
		c.Prewarm = DefaultPrewarm
	}
	if c.Prewarm > 0 && c.PrewarmShapes == nil {
		var images []string
		for id, image := range c.RuntimeImages {
			if rt, ok := runtimes.Lookup(id); !ok || !rt.Managed() {
				images = append(images, image)
			}
		}
		slices.Sort(images)
		for _, image := range slices.Compact(images) {
			c.PrewarmShapes = append(c.PrewarmShapes,
				Shape{Image: image, MemoryMB: rules.DefaultMemoryMB, EphemeralMB: rules.DefaultEphemeralMB})
		}
	}
	if c.MaxConcurrentStarts < 0 {
		return c, fmt.Errorf("invoker: MaxConcurrentStarts %d must not be negative", c.MaxConcurrentStarts)
	}
	if c.MaxConcurrentStarts == 0 {
		c.MaxConcurrentStarts = DefaultMaxConcurrentStarts
	}
	if c.QueueWait == 0 {
		c.QueueWait = DefaultQueueWait
	}
	if c.Overcommit == 0 {
		c.Overcommit = DefaultOvercommit
	}
	if !(c.Overcommit >= 1) || math.IsInf(c.Overcommit, 0) { // NaN fails both comparisons
		return c, fmt.Errorf("invoker: Overcommit %g must be at least 1 (1 disables overcommit)", c.Overcommit)
	}
	if c.InitCPUs == 0 {
		c.InitCPUs = DefaultInitCPUs
	}
	if math.IsNaN(c.InitCPUs) || math.IsInf(c.InitCPUs, 0) {
		return c, fmt.Errorf("invoker: InitCPUs %g must be a number of vCPUs (negative: no init burst)", c.InitCPUs)
	}
	if c.HostMemory == nil {
		c.HostMemory = ProcMemory{Root: "/proc"}
	}
	if _, _, err := c.uidGid(); err != nil {
		return c, err
	}
	return c, nil
}

// admitMB is the memory limits the pool admits: CapacityMB × Overcommit.
func (c Config) admitMB() int { return int(float64(c.CapacityMB) * c.Overcommit) }

// uidGid parses User.
func (c Config) uidGid() (uid, gid int, err error) {
	u, g, ok := strings.Cut(c.User, ":")
	uid, err1 := strconv.Atoi(u)
	gid, err2 := strconv.Atoi(g)
	if !ok || err1 != nil || err2 != nil || uid < 0 || gid < 0 {
		return 0, 0, fmt.Errorf("invoker: User %q is not a numeric uid:gid", c.User)
	}
	return uid, gid, nil
}

// validIDRune reports whether r may appear in an invoker ID, which is also a label value, a
// directory name and a NATS subject token.
func validIDRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}

// codeDir and runDir are the invoker's directories under DataDir.
func (c Config) codeDir() string { return filepath.Join(c.DataDir, "code") }
func (c Config) runDir() string  { return filepath.Join(c.DataDir, "run", c.ID) }

// optDir holds the merged /opt trees of functions with more than one layer (optTrees).
func (c Config) optDir() string { return filepath.Join(c.DataDir, "opt") }

// taskDir holds the stem cells' own task directories, DataDir/task/<ID>/<env id>: on the code
// cache's filesystem (hard links), outside the channel directories (which the function can write).
func (c Config) taskDir() string { return filepath.Join(c.DataDir, "task", c.ID) }
