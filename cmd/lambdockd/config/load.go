package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// Load builds the configuration from args (without the program name) and the environment
// (getenv, usually os.Getenv): defaults, then LAMBDOCK_* variables, then flags. It returns
// pflag.ErrHelp after printing usage for --help.
func Load(args []string, getenv func(string) string) (Config, error) {
	fs := pflag.NewFlagSet("lambdockd", pflag.ContinueOnError)
	var c Config
	fs.StringSliceVar(&c.Roles, "role", AllRoles(), "roles to run: any of gateway,controller,invoker")
	fs.StringVar(&c.Addr, "addr", DefaultAddr, "HTTP listen address of the gateway")
	fs.StringVar(&c.PublicURL, "public-url", "", "base URL clients reach the gateway at, for function URLs (default http://<addr>)")
	fs.StringVar(&c.URLDomain, "url-domain", "", "domain of host-routed function URLs https://<url-id>.<domain>/ (default: path-routed <public-url>/fn/<name>/)")
	fs.StringVar(&c.DataDir, "data-dir", "", "data directory (default ~/"+DefaultDataDirName+", or "+DefaultRootDataDir+" for root)")
	fs.StringVar(&c.NATSURL, "nats-url", "", "external NATS URL (default: embedded NATS with JetStream in the data directory)")
	fs.IntVar(&c.NATSPort, "nats-port", DefaultNATSPort, "client port of the embedded NATS (-1: any free port)")
	fs.IntVar(&c.CapacityMB, "capacity-mb", 0, "memory the invoker's containers may hold together (default 80% of the Docker host's)")
	fs.DurationVar(&c.KeepAlive, "keep-alive", DefaultKeepAlive, "how long an idle container stays warm at most (each function's keep-alive follows its invocations)")
	fs.DurationVar(&c.QueueWait, "queue-wait", DefaultQueueWait, "how long an invocation waits for room on a full invoker before 429 (bounded by the function's timeout; 0: no wait)")
	fs.Float64Var(&c.Overcommit, "overcommit", DefaultOvercommit, "factor by which the containers' memory limits may exceed --capacity-mb (1: none)")
	fs.IntVar(&c.AccountConcurrency, "account-concurrency", rules.DefaultAccountConcurrency, "account concurrency limit")
	fs.StringVar(&c.Agent, "agent", "", "path of the static lambdock-agent binary (default: "+DefaultAgentName+" next to lambdockd)")
	fs.StringVar(&c.InvokerID, "invoker-id", "", "ID of this host's invoker (default: the hostname)")
	fs.BoolVar(&c.Insecure, "insecure", false, "turn authentication off (only with a loopback --addr)")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "PEM certificate (chain) file: serve HTTPS (with --tls-key)")
	fs.StringVar(&c.TLSKey, "tls-key", "", "PEM private key file of --tls-cert")
	fs.Float64Var(&c.RateLimit, "rate-limit", 0, "requests per second each access key may send (0: no limit)")
	fs.IntVar(&c.RateBurst, "rate-burst", 0, "burst of --rate-limit (default: the rate rounded up)")
	fs.StringVar(&c.NATSCreds, "nats-creds", "", "NATS .creds file for the external --nats-url")
	fs.StringVar(&c.NATSSync, "nats-sync", "", "JetStream sync of the embedded NATS: always (fsync before every ack) or a duration (default: nats-server's 2m)")
	fs.StringVar(&c.PProf, "pprof", "", "serve net/http/pprof on this loopback address, e.g. 127.0.0.1:6060 (default off)")
	fs.StringVar(&c.LogLevel, "log-level", DefaultLogLevel, "log level: debug, info, warn or error")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", DefaultShutdownTimeout, "bound of a clean shutdown")
	fs.IntVar(&c.Prewarm, "prewarm", DefaultPrewarm, "pre-warmed containers kept per runtime image and memory size (0: none)")
	fs.Float64Var(&c.InitCPUs, "init-cpus", DefaultInitCPUs, "vCPUs a container gets for its first init, lowered to the function's own quota after it (capped by the host's CPUs; 0: no burst)")
	fs.IntVar(&c.MaxConcurrentStarts, "max-concurrent-starts", DefaultMaxConcurrentStarts, "containers the invoker creates and starts at once")
	fs.IntVar(&c.QueueConcurrency, "queue-concurrency", 0, "batches of one queue trigger each controller runs at once (0: 5)")
	fs.Float64Var(&c.AsyncTimeScale, "async-time-scale", DefaultAsyncTimeScale, "factor applied to async retry delays, throttle backoffs and maximum event ages (for tests and demos; 1: Lambda's)")
	fs.DurationVar(&c.AsyncRetention, "async-retention", DefaultAsyncRetention, "how long the state of an asynchronous invocation is kept")
	fs.BoolVar(&c.ImagePull, "image-pull", false, "let CreateFunction/UpdateFunctionCode pull an ImageUri absent from the Docker host (with the daemon's credentials)")
	fs.Int64Var(&c.EventStreamMaxBytes, "event-stream-max-bytes", 0, "bound of the queued asynchronous invocations on disk (0: 8 GiB)")
	fs.Int64Var(&c.UsageStreamMaxBytes, "usage-stream-max-bytes", DefaultUsageStreamMaxBytes, "bound of the usage records waiting on disk for PostgreSQL; a full stream refuses new records (they wait in the invokers' spools)")
	fs.Int64Var(&c.UsageBacklogAlert, "usage-backlog-alert", DefaultUsageBacklogAlert, "usage records waiting to be written above which the controller warns and sets lambdock_usage_backlog_alert (0: never)")
	fs.DurationVar(&c.UsageRetention, "usage-retention", DefaultUsageRetention, "how long raw invocation rows are kept (0: forever); hourly and daily aggregates are kept forever")
	fs.DurationVar(&c.LogsRetention, "logs-retention", DefaultLogsRetention, "how long function log lines are kept (168h: 7 days)")
	fs.Int64Var(&c.LogsMaxBytes, "logs-max-bytes", DefaultLogsMaxBytes, "bound of all functions' log lines on disk; the oldest go first")
	fs.Int64Var(&c.LogsMaxBatchesPerFunction, "logs-max-batches-per-function", DefaultLogsMaxBatchesPerFunction, "bound of one function's log batches (about one per invocation, at most 256 KiB each); its oldest go first")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics on http://<addr>/metrics, e.g. 127.0.0.1:9090 (default off; unauthenticated, so prefer a loopback address)")
	fs.StringVar(&c.ConsoleAddr, "console-addr", "", "listen address of the web console and the API beside it, an origin without function URLs (default: --addr's host and the next port; off: no console)")
	fs.StringVar(&c.MetricsTokenFile, "metrics-token-file", "", "file holding the bearer token that every peer, loopback included, needs to read the gateway's /metrics (default: loopback peers only, unless a proxy relayed the request)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: lambdockd [flags]\n\nEvery flag --name can also be set as %sNAME "+
			"(upper case, '-' as '_').\n%s names an external PostgreSQL.\n\nFlags:\n%s",
			EnvPrefix, EnvDatabaseURL, fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	var envErr error
	fs.VisitAll(func(f *pflag.Flag) {
		name := EnvName(f.Name)
		v := getenv(name)
		if f.Changed || v == "" || envErr != nil {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			envErr = fmt.Errorf("%s=%q: %w", name, v, err)
		}
	})
	if envErr != nil {
		return Config{}, envErr
	}
	c.DatabaseURL = getenv(EnvDatabaseURL)
	c.MasterKey, c.AdminKeyID, c.AdminSecret = getenv(EnvMasterKey), getenv(EnvAccessKeyID), getenv(EnvSecretAccessKey)
	if err := c.resolveDefaults(); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// EnvName is the environment variable of a flag: --data-dir is LAMBDOCK_DATA_DIR.
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// resolveDefaults fills the defaults that depend on the host.
func (c *Config) resolveDefaults() error {
	if c.DataDir == "" {
		dir, err := defaultDataDir(os.Geteuid(), os.UserHomeDir)
		if err != nil {
			return err
		}
		c.DataDir = dir
	}
	if c.Agent == "" && c.Has(RoleInvoker) {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("default agent path: %w (set --agent)", err)
		}
		c.Agent = filepath.Join(filepath.Dir(exe), DefaultAgentName)
	}
	return nil
}

// DataDir is the data directory a lambdockd on this host uses when started without --data-dir:
// LAMBDOCK_DATA_DIR, else the default (~/.lambdock, or /var/lib/lambdock for root). The CLI
// finds lambdockd's credentials file there.
func DataDir(getenv func(string) string) (string, error) {
	if d := getenv(EnvName("data-dir")); d != "" {
		return d, nil
	}
	return defaultDataDir(os.Geteuid(), os.UserHomeDir)
}

// defaultDataDir is ~/.lambdock, or DefaultRootDataDir for root: as root the own PostgreSQL runs
// as an unprivileged user, which cannot pass through root's home (mode 0700).
func defaultDataDir(euid int, home func() (string, error)) (string, error) {
	if euid == 0 {
		return DefaultRootDataDir, nil
	}
	h, err := home()
	if err != nil {
		return "", fmt.Errorf("default data directory: %w (set --data-dir)", err)
	}
	return filepath.Join(h, DefaultDataDirName), nil
}
