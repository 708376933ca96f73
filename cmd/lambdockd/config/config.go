// Package config is lambdockd's configuration: one struct, filled from defaults, then
// LAMBDOCK_* environment variables, then command-line flags (flags win), and validated.
//
// Design choices:
//
//   - Every flag --some-name has the environment variable LAMBDOCK_SOME_NAME; the mapping is
//     mechanical, so the two can never drift apart. The database URL is the exception: it is
//     read from LAMBDOCK_DATABASE_URL only, so a password never shows up in a process list.
//   - Defaults that depend on the host (the home directory, the path of the running
//     executable) are resolved by Load, not at flag registration, so --help shows them plainly.
//   - Authentication (SigV4 with the accounts' access keys) is always on, except with --insecure,
//     which turns it off for local play and is refused unless --addr is loopback.
package config

import (
	"slices"
	"time"

	"github.com/lambdock/lambdock/internal/logstore"
)

// Roles a lambdockd process can take.
const (
	RoleGateway    = "gateway"
	RoleController = "controller"
	RoleInvoker    = "invoker"
)

// AllRoles is the default: every role in one process.
func AllRoles() []string { return []string{RoleGateway, RoleController, RoleInvoker} }

// Defaults.
const (
	DefaultAddr            = "127.0.0.1:8070"
	DefaultDataDirName     = ".lambdock"         // under the home directory
	DefaultRootDataDir     = "/var/lib/lambdock" // when running as root
	DefaultNATSPort        = 4222
	DefaultKeepAlive       = 10 * time.Minute
	DefaultQueueWait       = 2 * time.Second
	DefaultOvercommit      = 1.5
	DefaultAgentName       = "lambdock-agent" // next to the lambdockd executable
	DefaultLogLevel        = "info"
	DefaultShutdownTimeout = 30 * time.Second
	// DefaultPrewarm is how many pre-warmed containers the invoker keeps per shape.
	DefaultPrewarm = 1
	// DefaultMaxConcurrentStarts bounds the containers an invoker creates and starts at once.
	DefaultMaxConcurrentStarts = 4
	// DefaultInitCPUs is the CPU quota, in vCPUs, of a container's first init (capped by the
	// host's CPUs).
	DefaultInitCPUs = 2.0
	// DefaultAsyncTimeScale leaves the asynchronous invocations' delays as Lambda's.
	DefaultAsyncTimeScale = 1.0
	// DefaultUsageStreamMaxBytes is the default bound of the usage stream (1 GiB).
	DefaultUsageStreamMaxBytes = 1 << 30
	// DefaultUsageBacklogAlert is the default backlog alert threshold, in usage records.
	DefaultUsageBacklogAlert = 100_000
	// DefaultUsageRetention is how long raw invocation rows are kept by default.
	DefaultUsageRetention = 90 * 24 * time.Hour
	// DefaultLogsRetention, DefaultLogsMaxBytes and DefaultLogsMaxBatchesPerFunction bound the
	// function logs stream (logstore.Retention): 7 days, 2 GiB, 4,096 batches per function.
	DefaultLogsRetention             = logstore.DefaultMaxAge
	DefaultLogsMaxBytes              = logstore.DefaultMaxBytes
	DefaultLogsMaxBatchesPerFunction = logstore.DefaultMaxBatchesPerFunction
	// DefaultAsyncRetention is how long the state of an asynchronous invocation is kept.
	DefaultAsyncRetention = 7 * 24 * time.Hour
)

// EnvPrefix starts every environment variable of lambdockd.
const EnvPrefix = "LAMBDOCK_"

// EnvDatabaseURL names the PostgreSQL URL; without it lambdockd runs its own PostgreSQL in
// <data-dir>/postgres.
const EnvDatabaseURL = EnvPrefix + "DATABASE_URL"

// Secrets read from the environment only (never flags, which a process list shows).
const (
	// EnvMasterKey is base64 of the 32-byte key that encrypts access keys' secrets at rest;
	// without it the gateway uses <data-dir>/master.key (created on first start).
	EnvMasterKey = EnvPrefix + "MASTER_KEY"
	// EnvAccessKeyID and EnvSecretAccessKey name an admin key of the admin account that the
	// gateway creates if it does not exist (instead of generating the first one).
	EnvAccessKeyID     = EnvPrefix + "ACCESS_KEY_ID"
	EnvSecretAccessKey = EnvPrefix + "SECRET_ACCESS_KEY"
)

// Config is lambdockd's configuration.
type Config struct {
	// Roles are the parts this process runs (gateway, controller, invoker).
	Roles []string
	// Addr is the gateway's HTTP listen address.
	Addr string
	// PublicURL is the gateway's base URL as clients reach it; function URLs are
	// <PublicURL>/fn/<name>/ (default "http://" + Addr).
	PublicURL string
	// URLDomain, when set, gives each function URL its own host, https://<url-id>.<URLDomain>/,
	// served by host-based routing (a wildcard DNS record and TLS in front are the operator's).
	URLDomain string
	// DataDir holds the embedded NATS store, the own PostgreSQL cluster and the invoker's code
	// cache and channel directories.
	DataDir string
	// DatabaseURL is an external PostgreSQL; empty runs the own cluster in DataDir/postgres.
	DatabaseURL string
	// NATSURL is an external NATS; empty runs an embedded server with JetStream in
	// DataDir/nats on 127.0.0.1:NATSPort.
	NATSURL string
	// NATSPort is the embedded server's client port (-1: a free one).
	NATSPort int
	// CapacityMB is the memory the invoker's containers may hold together (0: 80% of the
	// Docker host's memory).
	CapacityMB int
	// KeepAlive is how long an idle container stays warm at most; each function's own follows
	// its pattern of invocations within [1 minute, KeepAlive].
	KeepAlive time.Duration
	// QueueWait bounds how long an invocation waits for room on a full invoker (further
	// bounded by the function's timeout) before the 429 HostCapacityExceeded; 0 refuses at once.
	QueueWait time.Duration
	// Overcommit lets the containers' memory limits add up to CapacityMB × Overcommit; the
	// invoker evicts idle containers when the host runs short of memory. 1 disables; 0 is
	// the default (DefaultOvercommit).
	Overcommit float64
	// QueueConcurrency is how many batches of one queue trigger each controller runs at once
	// (0: the default, 5).
	QueueConcurrency int
	// AccountConcurrency is the admin account's concurrency limit when it is set up (first
	// start), and the limit of accounts the controller does not know.
	AccountConcurrency int
	// MasterKey is EnvMasterKey's value ("": the master key file in DataDir).
	MasterKey string
	// AdminKeyID and AdminSecret are EnvAccessKeyID and EnvSecretAccessKey ("": the first admin
	// key is generated).
	AdminKeyID  string
	AdminSecret string
	// Agent is the host path of the static lambdock-agent binary.
	Agent string
	// InvokerID names this host's invoker (default: the hostname). Containers carry it as a
	// label; an invoker removes what an earlier one with its ID left behind.
	InvokerID string
	// Insecure turns authentication off: every request acts as the admin account. Only with a
	// loopback Addr.
	Insecure bool
	// TLSCert and TLSKey are PEM files; with both the gateway serves HTTPS.
	TLSCert string
	TLSKey  string
	// RateLimit is each access key's request rate (requests per second); 0 is off. RateBurst is
	// its bucket size (0: the rate rounded up).
	RateLimit float64
	RateBurst int
	// NATSCreds is a NATS .creds file (user JWT and nkey seed) for an external NATS.
	NATSCreds string
	// NATSSync is the embedded NATS's JetStream sync policy (natsserver.ParseSync): "" is
	// nats-server's default (files synced every 2 minutes), "always" fsyncs every write before
	// it is acknowledged, a duration syncs that often.
	NATSSync string
	// PProf is the loopback address serving net/http/pprof ("": off). Profiles expose memory
	// contents, so only a loopback address is allowed.
	PProf string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// ShutdownTimeout bounds a clean shutdown; in-flight invocations get most of it.
	ShutdownTimeout time.Duration
	// Prewarm is how many pre-warmed containers the invoker keeps per shape (0: none).
	Prewarm int
	// MaxConcurrentStarts bounds the containers the invoker creates and starts at once (0: the
	// invoker's default, DefaultMaxConcurrentStarts).
	MaxConcurrentStarts int
	// InitCPUs is the CPU quota, in vCPUs, a container gets for its first init (Lambda's init
	// burst), capped by the host's CPUs and never below the function's own; 0: no burst.
	InitCPUs float64
	// AsyncTimeScale multiplies the retry delays, throttle backoffs and maximum event ages of
	// asynchronous invocations: for tests and demos only (0.01 makes a minute 0.6 s); 0 is 1.
	AsyncTimeScale float64
	// AsyncRetention is how long the controller keeps an asynchronous invocation's state after
	// its last change (0: DefaultAsyncRetention; negative: forever).
	AsyncRetention time.Duration
	// EventStreamMaxBytes bounds the queued asynchronous invocations (0: eventq.DefaultMaxBytes,
	// 8 GiB); a full stream refuses new events.
	EventStreamMaxBytes int64
	// UsageStreamMaxBytes bounds the usage stream, the records waiting to be written to
	// PostgreSQL (0: DefaultUsageStreamMaxBytes, 1 GiB: millions of records); a full stream
	// refuses new records, which wait in the invokers' spools.
	UsageStreamMaxBytes int64
	// UsageBacklogAlert is the number of usage records waiting to be written above which the
	// usage writer logs a warning and sets lambdock_usage_backlog_alert (0: never).
	UsageBacklogAlert int64
	// UsageRetention is how long raw invocation rows are kept (0: forever); the aggregates are
	// kept forever.
	UsageRetention time.Duration
	// LogsRetention, LogsMaxBytes and LogsMaxBatchesPerFunction bound the function logs stream
	// (LAMBDOCK_LOGS): the oldest lines go first past any of them.
	LogsRetention             time.Duration
	LogsMaxBytes              int64
	LogsMaxBatchesPerFunction int64
	// MetricsAddr is the address serving Prometheus metrics on /metrics ("": off). The metrics
	// are not authenticated: a loopback address (scraped by a local agent) is recommended.
	MetricsAddr string
	// MetricsTokenFile names a file holding the bearer token every peer, loopback included,
	// needs to read the gateway's GET /metrics ("": only loopback peers that no proxy relayed
	// may).
	MetricsTokenFile string
	// ConsoleAddr is where the web console is served, on an origin of its own (never beside
	// function URLs): "" derives it from Addr (same host, the next port; port 0 stays 0), "off"
	// turns the console off.
	ConsoleAddr string
	// ImagePull lets the gateway pull a container-image function's ImageUri that is not on the
	// Docker host, with the daemon's registries and credentials. Off by default: any account
	// could otherwise make the daemon pull from any registry it can reach, and fill its disk.
	ImagePull bool
}

// Has reports whether the configuration includes role.
func (c Config) Has(role string) bool { return slices.Contains(c.Roles, role) }
