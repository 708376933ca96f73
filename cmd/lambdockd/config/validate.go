package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// Validate checks the configuration, including the loopback rule of --insecure.
func (c Config) Validate() error {
	var errs []error
	if len(c.Roles) == 0 {
		errs = append(errs, errors.New("--role: at least one role is needed"))
	}
	for _, r := range c.Roles {
		if !slices.Contains(AllRoles(), r) {
			errs = append(errs, fmt.Errorf("--role: unknown role %q (want gateway, controller or invoker)", r))
		}
	}
	if c.Has(RoleGateway) {
		if err := c.checkAddr(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := c.checkURLs(); err != nil {
		errs = append(errs, err)
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir is required"))
	}
	if c.Has(RoleInvoker) && c.Agent == "" {
		errs = append(errs, errors.New("--agent is required for the invoker role"))
	}
	if c.NATSPort < -1 || c.NATSPort > 65535 {
		errs = append(errs, fmt.Errorf("--nats-port %d is not a port", c.NATSPort))
	}
	if c.CapacityMB < 0 {
		errs = append(errs, fmt.Errorf("--capacity-mb %d is negative", c.CapacityMB))
	}
	if c.KeepAlive <= 0 {
		errs = append(errs, fmt.Errorf("--keep-alive %s must be positive", c.KeepAlive))
	}
	if c.Prewarm < 0 {
		errs = append(errs, fmt.Errorf("--prewarm %d is negative", c.Prewarm))
	}
	if !(c.InitCPUs >= 0) || math.IsInf(c.InitCPUs, 0) { // NaN fails the comparison
		errs = append(errs, fmt.Errorf("--init-cpus %g must be a non-negative number of vCPUs (0: no init burst)", c.InitCPUs))
	}
	if c.MaxConcurrentStarts < 0 {
		errs = append(errs, fmt.Errorf("--max-concurrent-starts %d is negative", c.MaxConcurrentStarts))
	}
	if c.QueueWait < 0 {
		errs = append(errs, fmt.Errorf("--queue-wait %s is negative", c.QueueWait))
	}
	if c.Overcommit != 0 && !(c.Overcommit >= 1 && !math.IsInf(c.Overcommit, 0)) { // 0: the invoker's default; NaN and Inf fail
		errs = append(errs, fmt.Errorf("--overcommit %g must be at least 1 (1: no overcommit)", c.Overcommit))
	}
	if c.QueueConcurrency < 0 {
		errs = append(errs, fmt.Errorf("--queue-concurrency %d is negative", c.QueueConcurrency))
	}
	if c.AccountConcurrency <= 0 {
		errs = append(errs, fmt.Errorf("--account-concurrency %d must be positive", c.AccountConcurrency))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	if c.RateLimit < 0 || c.RateBurst < 0 {
		errs = append(errs, fmt.Errorf("--rate-limit %g and --rate-burst %d must not be negative", c.RateLimit, c.RateBurst))
	}
	if c.NATSCreds != "" && c.NATSURL == "" {
		errs = append(errs, errors.New("--nats-creds is for an external NATS: set --nats-url too"))
	}
	if _, _, err := ParseNATSSync(c.NATSSync); err != nil {
		errs = append(errs, fmt.Errorf("--nats-sync: %w", err))
	} else if c.NATSSync != "" && c.NATSURL != "" {
		errs = append(errs, errors.New("--nats-sync is for the embedded NATS: configure an external one's sync_interval itself"))
	}
	if (c.AdminKeyID == "") != (c.AdminSecret == "") {
		errs = append(errs, fmt.Errorf("%s and %s must be set together", EnvAccessKeyID, EnvSecretAccessKey))
	} else if c.AdminKeyID != "" {
		if !tenant.ValidKeyID(c.AdminKeyID) {
			errs = append(errs, fmt.Errorf("%s %q is not an access key ID (AKIA and 16 characters of A-Z 2-7)", EnvAccessKeyID, c.AdminKeyID))
		}
		if !tenant.ValidSecret(c.AdminSecret) {
			errs = append(errs, fmt.Errorf("%s is not a secret access key (40 characters of A-Z a-z 0-9 + / =)", EnvSecretAccessKey))
		}
	}
	if err := c.checkPProf(); err != nil {
		errs = append(errs, err)
	}
	if c.AsyncTimeScale < 0 || math.IsNaN(c.AsyncTimeScale) || math.IsInf(c.AsyncTimeScale, 0) {
		errs = append(errs, fmt.Errorf("--async-time-scale %g must be a positive factor", c.AsyncTimeScale))
	}
	if c.AsyncRetention > 0 && c.AsyncRetention < c.MinAsyncRetention() {
		errs = append(errs, fmt.Errorf("--async-retention %s is shorter than an event may live (%s: the maximum event age, scaled by --async-time-scale, + the longest function timeout); its row guards a redelivered event against running again",
			c.AsyncRetention, c.MinAsyncRetention()))
	}
	if c.EventStreamMaxBytes < 0 {
		errs = append(errs, fmt.Errorf("--event-stream-max-bytes %d is negative", c.EventStreamMaxBytes))
	}
	if c.UsageStreamMaxBytes < 0 || (c.UsageStreamMaxBytes > 0 && c.UsageStreamMaxBytes < 1<<20) {
		errs = append(errs, fmt.Errorf("--usage-stream-max-bytes %d is below 1 MiB", c.UsageStreamMaxBytes))
	}
	if c.UsageBacklogAlert < 0 {
		errs = append(errs, fmt.Errorf("--usage-backlog-alert %d is negative", c.UsageBacklogAlert))
	}
	if c.UsageRetention < 0 || (c.UsageRetention > 0 && c.UsageRetention < 24*time.Hour) {
		errs = append(errs, fmt.Errorf("--usage-retention %s must be 0 (forever) or at least 24h", c.UsageRetention))
	}
	// Zero log bounds are the defaults (logstore.Retention).
	if c.LogsRetention < 0 || (c.LogsRetention > 0 && c.LogsRetention < time.Minute) {
		errs = append(errs, fmt.Errorf("--logs-retention %s must be at least 1m", c.LogsRetention))
	}
	if c.LogsMaxBytes < 0 || (c.LogsMaxBytes > 0 && c.LogsMaxBytes < 1<<20) {
		errs = append(errs, fmt.Errorf("--logs-max-bytes %d is below 1 MiB", c.LogsMaxBytes))
	}
	if c.LogsMaxBatchesPerFunction < 0 {
		errs = append(errs, fmt.Errorf("--logs-max-batches-per-function %d is negative", c.LogsMaxBatchesPerFunction))
	}
	if c.ConsoleAddr != "" && c.ConsoleAddr != ConsoleOff {
		if _, _, err := net.SplitHostPort(c.ConsoleAddr); err != nil {
			errs = append(errs, fmt.Errorf("--console-addr %q: %w", c.ConsoleAddr, err))
		}
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("--metrics-addr %q: %w", c.MetricsAddr, err))
		}
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--shutdown-timeout %s must be positive", c.ShutdownTimeout))
	}
	if _, err := zapcore.ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, fmt.Errorf("--log-level: %w", err))
	}
	return errors.Join(errs...)
}

// checkAddr checks the listen address and refuses --insecure (no authentication) on one that
// is not loopback.
func (c Config) checkAddr() error {
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", c.Addr, err)
	}
	if !c.Insecure || IsLoopback(host) {
		return nil
	}
	return fmt.Errorf("refusing --insecure (no authentication) on %s: it is only allowed on a loopback address", c.Addr)
}

// checkPProf refuses a --pprof address that is not loopback: profiles and goroutine dumps
// show memory contents, and the endpoint has no authentication.
func (c Config) checkPProf() error {
	if c.PProf == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(c.PProf)
	if err != nil {
		return fmt.Errorf("--pprof %q: %w", c.PProf, err)
	}
	if !IsLoopback(host) {
		return fmt.Errorf("refusing --pprof on %s: it is only allowed on a loopback address", c.PProf)
	}
	return nil
}

// checkURLs checks --public-url (an absolute http or https URL without query) and --url-domain
// (a host name).
func (c Config) checkURLs() error {
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("--public-url %q: want an absolute http(s) URL such as https://lambda.example.com", c.PublicURL)
		}
	}
	if c.URLDomain != "" && !domainPattern.MatchString(c.URLDomain) {
		return fmt.Errorf("--url-domain %q: want a domain name such as lambda-url.example.com", c.URLDomain)
	}
	return nil
}

// domainPattern is a DNS name of at least two labels.
var domainPattern = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)

// IsLoopback reports whether host (a name or an IP, no port) is a loopback address. An empty
// host means every interface, so it is not.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseNATSSync reads --nats-sync: "" is nats-server's default (both results zero), "always"
// fsyncs every write, a positive duration syncs that often.
func ParseNATSSync(s string) (always bool, interval time.Duration, err error) {
	switch s {
	case "":
		return false, 0, nil
	case "always":
		return true, 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return false, 0, fmt.Errorf("%q is not \"always\" or a positive duration", s)
	}
	return false, d, nil
}

// MinAsyncRetention is the shortest --async-retention: the maximum event age (scaled by
// --async-time-scale) + the longest function timeout. The row of an event still alive tells a
// redelivered message which attempts completed; deleting it would run them again.
func (c Config) MinAsyncRetention() time.Duration {
	scale := c.AsyncTimeScale
	if scale <= 0 {
		scale = DefaultAsyncTimeScale
	}
	age := time.Duration(float64(rules.MaxEventAgeSec*time.Second) * scale)
	return age + rules.MaxTimeoutSec*time.Second
}
