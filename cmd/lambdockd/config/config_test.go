package config

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/lambda/rules"
)

func TestLoad(t *testing.T) {
	base := Config{
		Roles: AllRoles(), Addr: DefaultAddr, DataDir: "/d", NATSPort: DefaultNATSPort, KeepAlive: DefaultKeepAlive,
		AccountConcurrency: rules.DefaultAccountConcurrency, Agent: "/a", LogLevel: DefaultLogLevel,
		ShutdownTimeout: DefaultShutdownTimeout, Prewarm: DefaultPrewarm, MaxConcurrentStarts: DefaultMaxConcurrentStarts,
		QueueWait: DefaultQueueWait, Overcommit: DefaultOvercommit, InitCPUs: DefaultInitCPUs,
		AsyncTimeScale: DefaultAsyncTimeScale, AsyncRetention: DefaultAsyncRetention,
		UsageStreamMaxBytes: DefaultUsageStreamMaxBytes, UsageBacklogAlert: DefaultUsageBacklogAlert,
		UsageRetention: DefaultUsageRetention,
		LogsRetention:  DefaultLogsRetention, LogsMaxBytes: DefaultLogsMaxBytes, LogsMaxBatchesPerFunction: DefaultLogsMaxBatchesPerFunction,
	}
	with := func(f func(c *Config)) Config {
		c := base
		c.Roles = AllRoles()
		f(&c)
		return c
	}
	fixed := []string{"--data-dir", "/d", "--agent", "/a"}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{name: "defaults", args: fixed, want: base},
		{name: "flags", args: append([]string{"--role", "gateway,controller", "--addr", "localhost:9000",
			"--nats-url", "nats://n:4222", "--capacity-mb", "2048", "--keep-alive", "1m", "--account-concurrency", "50",
			"--log-level", "debug", "--invoker-id", "host1"}, fixed...),
			want: with(func(c *Config) {
				c.Roles = []string{RoleGateway, RoleController}
				c.Addr, c.NATSURL, c.CapacityMB, c.KeepAlive = "localhost:9000", "nats://n:4222", 2048, time.Minute
				c.AccountConcurrency, c.LogLevel, c.InvokerID = 50, "debug", "host1"
			})},
		{name: "environment", args: []string{"--agent", "/a"},
			env: map[string]string{"LAMBDOCK_DATA_DIR": "/d", "LAMBDOCK_KEEP_ALIVE": "30s", "LAMBDOCK_ROLE": "invoker",
				"LAMBDOCK_DATABASE_URL": "postgres://x", "LAMBDOCK_NATS_PORT": "-1", "LAMBDOCK_INSECURE": "true",
				"LAMBDOCK_ADDR": "127.0.0.1:1", "LAMBDOCK_TLS_CERT": "/c.pem", "LAMBDOCK_TLS_KEY": "/k.pem",
				"LAMBDOCK_RATE_LIMIT": "2.5", "LAMBDOCK_RATE_BURST": "10", "LAMBDOCK_NATS_URL": "nats://n:4222",
				"LAMBDOCK_NATS_CREDS": "/n.creds"},
			want: with(func(c *Config) {
				c.Roles, c.KeepAlive, c.DatabaseURL, c.NATSPort, c.Insecure = []string{RoleInvoker}, 30*time.Second, "postgres://x", -1, true
				c.Addr, c.TLSCert, c.TLSKey, c.RateLimit, c.RateBurst = "127.0.0.1:1", "/c.pem", "/k.pem", 2.5, 10
				c.NATSURL, c.NATSCreds = "nats://n:4222", "/n.creds"
			})},
		{name: "flags win over the environment", args: append([]string{"--capacity-mb", "100"}, fixed...),
			env:  map[string]string{"LAMBDOCK_CAPACITY_MB": "200"},
			want: with(func(c *Config) { c.CapacityMB = 100 })},
		{name: "usage flags", args: append([]string{"--usage-stream-max-bytes", "2147483648", "--usage-backlog-alert", "5000",
			"--usage-retention", "0s", "--metrics-addr", "127.0.0.1:9090"}, fixed...),
			want: with(func(c *Config) {
				c.UsageStreamMaxBytes, c.UsageBacklogAlert, c.UsageRetention, c.MetricsAddr = 2<<30, 5000, 0, "127.0.0.1:9090"
			})},
		{name: "usage environment", args: fixed,
			env: map[string]string{"LAMBDOCK_USAGE_RETENTION": "720h", "LAMBDOCK_USAGE_BACKLOG_ALERT": "0",
				"LAMBDOCK_METRICS_ADDR": "127.0.0.1:9"},
			want: with(func(c *Config) {
				c.UsageRetention, c.UsageBacklogAlert, c.MetricsAddr = 720*time.Hour, 0, "127.0.0.1:9"
			})},
		{name: "logs flags", args: append([]string{"--logs-retention", "24h", "--logs-max-bytes", "1073741824",
			"--logs-max-batches-per-function", "500"}, fixed...),
			want: with(func(c *Config) {
				c.LogsRetention, c.LogsMaxBytes, c.LogsMaxBatchesPerFunction = 24*time.Hour, 1<<30, 500
			})},
		{name: "logs environment", args: fixed, env: map[string]string{"LAMBDOCK_LOGS_RETENTION": "1h"},
			want: with(func(c *Config) { c.LogsRetention = time.Hour })},
		{name: "logs batches per function negative", args: append([]string{"--logs-max-batches-per-function", "-1"}, fixed...),
			wantErr: "--logs-max-batches-per-function -1 is negative"},
		{name: "logs retention too short", args: append([]string{"--logs-retention", "1s"}, fixed...),
			wantErr: "--logs-retention 1s must be at least 1m"},
		{name: "usage stream too small", args: append([]string{"--usage-stream-max-bytes", "1000"}, fixed...),
			wantErr: "--usage-stream-max-bytes 1000 is below 1 MiB"},
		{name: "usage retention too short", args: append([]string{"--usage-retention", "1h"}, fixed...),
			wantErr: "--usage-retention 1h0m0s must be 0 (forever) or at least 24h"},
		{name: "metrics address without port", args: append([]string{"--metrics-addr", "localhost"}, fixed...),
			wantErr: `--metrics-addr "localhost"`},
		{name: "--metrics-token-file", args: append([]string{"--metrics-token-file", "/etc/lambdock/metrics-token"}, fixed...),
			want: with(func(c *Config) { c.MetricsTokenFile = "/etc/lambdock/metrics-token" })},
		{name: "metrics token file from the environment", args: fixed,
			env:  map[string]string{"LAMBDOCK_METRICS_TOKEN_FILE": "/run/secrets/metrics"},
			want: with(func(c *Config) { c.MetricsTokenFile = "/run/secrets/metrics" })},
		{name: "capacity flags", args: append([]string{"--queue-wait", "500ms", "--overcommit", "1"}, fixed...),
			want: with(func(c *Config) { c.QueueWait, c.Overcommit = 500*time.Millisecond, 1 })},
		{name: "capacity from the environment", args: fixed,
			env:  map[string]string{"LAMBDOCK_QUEUE_WAIT": "0s", "LAMBDOCK_OVERCOMMIT": "2.5"},
			want: with(func(c *Config) { c.QueueWait, c.Overcommit = 0, 2.5 })},
		{name: "overcommit between 0 and 1", args: append([]string{"--overcommit", "0.5"}, fixed...),
			wantErr: "--overcommit 0.5 must be at least 1"},
		{name: "overcommit NaN", args: append([]string{"--overcommit", "NaN"}, fixed...),
			wantErr: "--overcommit NaN must be at least 1"},
		{name: "overcommit infinite", args: append([]string{"--overcommit", "+Inf"}, fixed...),
			wantErr: "--overcommit +Inf must be at least 1"},
		{name: "negative queue wait", args: append([]string{"--queue-wait", "-1s"}, fixed...),
			wantErr: "--queue-wait -1s is negative"},
		{name: "non-loopback address with authentication", args: append([]string{"--addr", "0.0.0.0:8070"}, fixed...),
			want: with(func(c *Config) { c.Addr = "0.0.0.0:8070" })},
		{name: "--insecure refused off loopback", args: append([]string{"--addr", "0.0.0.0:8070", "--insecure"}, fixed...),
			wantErr: "refusing --insecure (no authentication) on 0.0.0.0:8070: it is only allowed on a loopback address"},
		{name: "empty host is every interface", args: append([]string{"--addr", ":8070", "--insecure"}, fixed...),
			wantErr: "refusing --insecure (no authentication) on :8070"},
		{name: "--insecure on loopback", args: append([]string{"--insecure"}, fixed...),
			want: with(func(c *Config) { c.Insecure = true })},
		{name: "tls cert without key", args: append([]string{"--tls-cert", "/c.pem"}, fixed...),
			wantErr: "--tls-cert and --tls-key go together"},
		{name: "async retention too short", args: append([]string{"--async-retention", "6h"}, fixed...),
			wantErr: "--async-retention 6h0m0s is shorter than an event may live (6h15m0s"},
		{name: "async retention scaled", args: append([]string{"--async-retention", "20m", "--async-time-scale", "0.01"}, fixed...),
			want: with(func(c *Config) { c.AsyncRetention = 20 * time.Minute; c.AsyncTimeScale = 0.01 })},
		{name: "async retention forever", args: append([]string{"--async-retention", "-1s"}, fixed...),
			want: with(func(c *Config) { c.AsyncRetention = -time.Second })},
		{name: "negative rate", args: append([]string{"--rate-limit", "-1"}, fixed...), wantErr: "must not be negative"},
		{name: "nats creds without url", args: append([]string{"--nats-creds", "/n.creds"}, fixed...),
			wantErr: "--nats-creds is for an external NATS"},
		{name: "nats sync always", args: append([]string{"--nats-sync", "always"}, fixed...),
			want: with(func(c *Config) { c.NATSSync = "always" })},
		{name: "nats sync interval", args: fixed, env: map[string]string{"LAMBDOCK_NATS_SYNC": "1s"},
			want: with(func(c *Config) { c.NATSSync = "1s" })},
		{name: "nats sync not a duration", args: append([]string{"--nats-sync", "often"}, fixed...),
			wantErr: `--nats-sync: "often" is not "always" or a positive duration`},
		{name: "nats sync with an external NATS", args: append([]string{"--nats-sync", "always", "--nats-url", "nats://n:4222"}, fixed...),
			wantErr: "--nats-sync is for the embedded NATS"},
		{name: "function URL flags", args: append([]string{"--public-url", "https://lambda.example.com"}, fixed...),
			env:  map[string]string{"LAMBDOCK_URL_DOMAIN": "lambda-url.example.com"},
			want: with(func(c *Config) { c.PublicURL, c.URLDomain = "https://lambda.example.com", "lambda-url.example.com" })},
		{name: "public URL must be absolute", args: append([]string{"--public-url", "lambda.example.com"}, fixed...),
			wantErr: "--public-url"},
		{name: "URL domain must be a domain", args: append([]string{"--url-domain", "https://x.example.com"}, fixed...),
			wantErr: "--url-domain"},
		{name: "image pulls off by default", args: fixed, want: with(func(c *Config) { c.ImagePull = false })},
		{name: "--image-pull", args: append([]string{"--image-pull"}, fixed...), want: with(func(c *Config) { c.ImagePull = true })},
		{name: "image pulls from the environment", args: fixed, env: map[string]string{"LAMBDOCK_IMAGE_PULL": "true"},
			want: with(func(c *Config) { c.ImagePull = true })},
		{name: "pre-warming flags", args: append([]string{"--prewarm", "0", "--max-concurrent-starts", "2"}, fixed...),
			want: with(func(c *Config) { c.Prewarm, c.MaxConcurrentStarts = 0, 2 })},
		{name: "pre-warming from the environment", args: fixed,
			env:  map[string]string{"LAMBDOCK_PREWARM": "3", "LAMBDOCK_MAX_CONCURRENT_STARTS": "8"},
			want: with(func(c *Config) { c.Prewarm, c.MaxConcurrentStarts = 3, 8 })},
		{name: "init burst flag", args: append([]string{"--init-cpus", "1.5"}, fixed...),
			want: with(func(c *Config) { c.InitCPUs = 1.5 })},
		{name: "init burst off from the environment", args: fixed, env: map[string]string{"LAMBDOCK_INIT_CPUS": "0"},
			want: with(func(c *Config) { c.InitCPUs = 0 })},
		{name: "negative --init-cpus", args: append([]string{"--init-cpus", "-1"}, fixed...),
			wantErr: "--init-cpus -1 must be a non-negative number of vCPUs"},
		{name: "--init-cpus NaN", args: append([]string{"--init-cpus", "NaN"}, fixed...),
			wantErr: "--init-cpus NaN must be a non-negative number of vCPUs"},
		{name: "--init-cpus infinite", args: append([]string{"--init-cpus", "+Inf"}, fixed...),
			wantErr: "--init-cpus +Inf must be a non-negative number of vCPUs"},
		{name: "negative --prewarm", args: append([]string{"--prewarm", "-1"}, fixed...), wantErr: "--prewarm -1 is negative"},
		{name: "negative --max-concurrent-starts", args: append([]string{"--max-concurrent-starts", "-2"}, fixed...),
			wantErr: "--max-concurrent-starts -2 is negative"},
		{name: "--pprof on loopback", args: append([]string{"--pprof", "127.0.0.1:6060"}, fixed...),
			want: with(func(c *Config) { c.PProf = "127.0.0.1:6060" })},
		{name: "--pprof from the environment", args: fixed, env: map[string]string{"LAMBDOCK_PPROF": "localhost:6060"},
			want: with(func(c *Config) { c.PProf = "localhost:6060" })},
		{name: "--pprof refused off loopback", args: append([]string{"--pprof", "0.0.0.0:6060"}, fixed...),
			wantErr: "refusing --pprof on 0.0.0.0:6060: it is only allowed on a loopback address"},
		{name: "--pprof on every interface refused", args: append([]string{"--pprof", ":6060"}, fixed...),
			wantErr: "refusing --pprof on :6060"},
		{name: "--pprof without port", args: append([]string{"--pprof", "127.0.0.1"}, fixed...),
			wantErr: `--pprof "127.0.0.1"`},
		{name: "ipv6 loopback", args: append([]string{"--addr", "[::1]:8070"}, fixed...),
			want: with(func(c *Config) { c.Addr = "[::1]:8070" })},
		{name: "unknown role", args: append([]string{"--role", "gateway,scheduler"}, fixed...), wantErr: `unknown role "scheduler"`},
		{name: "bad environment value", args: fixed, env: map[string]string{"LAMBDOCK_KEEP_ALIVE": "soon"},
			wantErr: `LAMBDOCK_KEEP_ALIVE="soon"`},
		{name: "bad log level", args: append([]string{"--log-level", "loud"}, fixed...), wantErr: "--log-level"},
		{name: "stray argument", args: append([]string{"serve"}, fixed...), wantErr: "unexpected arguments: serve"},
		{name: "secrets from the environment only", args: fixed,
			env: map[string]string{"LAMBDOCK_MASTER_KEY": "bWs=", "LAMBDOCK_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
				"LAMBDOCK_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
			want: with(func(c *Config) {
				c.MasterKey, c.AdminKeyID, c.AdminSecret = "bWs=", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
			})},
		{name: "access key id without secret", args: fixed, env: map[string]string{"LAMBDOCK_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE"},
			wantErr: "must be set together"},
		{name: "malformed access key id", args: fixed, env: map[string]string{"LAMBDOCK_ACCESS_KEY_ID": "AKIA1",
			"LAMBDOCK_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, wantErr: "is not an access key ID"},
		{name: "malformed secret", args: fixed, env: map[string]string{"LAMBDOCK_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
			"LAMBDOCK_SECRET_ACCESS_KEY": "short"}, wantErr: "is not a secret access key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(tt.args, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestHostDefaults(t *testing.T) {
	c, err := Load(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(c.Agent, "/"+DefaultAgentName) {
		t.Fatalf("agent %q", c.Agent)
	}
	if want, _ := defaultDataDir(os.Geteuid(), os.UserHomeDir); c.DataDir != want {
		t.Fatalf("data dir %q, want %q", c.DataDir, want)
	}
}

func TestDefaultDataDir(t *testing.T) {
	home := func() (string, error) { return "/home/ada", nil }
	noHome := func() (string, error) { return "", errors.New("$HOME is not defined") }
	tests := []struct {
		name    string
		euid    int
		home    func() (string, error)
		want    string
		wantErr bool
	}{
		{"user", 1000, home, "/home/ada/.lambdock", false},
		{"root", 0, home, "/var/lib/lambdock", false},
		{"root without home", 0, noHome, "/var/lib/lambdock", false},
		{"user without home", 1000, noHome, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := defaultDataDir(tt.euid, tt.home)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("got %q, %v; want %q (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestDataDir(t *testing.T) {
	if d, err := DataDir(func(k string) string { return map[string]string{"LAMBDOCK_DATA_DIR": "/x"}[k] }); d != "/x" || err != nil {
		t.Errorf("DataDir from the environment = %q, %v", d, err)
	}
	want, _ := defaultDataDir(os.Geteuid(), os.UserHomeDir)
	if d, err := DataDir(func(string) string { return "" }); d != want || err != nil {
		t.Errorf("DataDir default = %q, %v; want %q", d, err, want)
	}
}

func TestEnvName(t *testing.T) {
	for flag, env := range map[string]string{"data-dir": "LAMBDOCK_DATA_DIR", "nats-url": "LAMBDOCK_NATS_URL",
		"capacity-mb": "LAMBDOCK_CAPACITY_MB", "agent": "LAMBDOCK_AGENT"} {
		if got := EnvName(flag); got != env {
			t.Errorf("EnvName(%q) = %q, want %q", flag, got, env)
		}
	}
}
