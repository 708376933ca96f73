// Package agent assembles the in-container agent (PID 1 of every function container; the
// runtime-api/ folder is that agent): the Runtime API server on loopback, the control channel on
// the unix socket, the log capture, the supervisor and the environment.
//
// It is a library so that the conformance tests run exactly what the container runs, on a free
// loopback port and a socket in a temporary directory instead of the fixed agentproto addresses.
//
// In a pre-warmed container (config.json with Stem set) the agent starts with no function and no
// runtime: it serves /health, and once, POST /specialize, which brings the function's config and
// the runtime's complete environment (used instead of the container's, bar Docker's HOSTNAME and
// HOME); from then on it is the agent of that function (stem.go).
package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/runtime-api/cgroup"
	"github.com/lambdock/lambdock/runtime-api/channel"
	"github.com/lambdock/lambdock/runtime-api/environment"
	"github.com/lambdock/lambdock/runtime-api/logcapture"
	"github.com/lambdock/lambdock/runtime-api/runtimeapi"
	"github.com/lambdock/lambdock/runtime-api/supervisor"
)

// shutdownTimeout bounds the whole shutdown: the runtime's grace period and the kill.
const shutdownTimeout = environment.ShutdownGrace + 10*time.Second

// channelDrainTimeout bounds how long a shutting-down agent waits, after the extensions'
// shutdown, for the invoker to read the last log lines (and for any other channel request to
// end) and for the container log to take its last lines: one deadline for both, so that the
// whole shutdown fits in the invoker's graceful stop (its stopGrace).
const channelDrainTimeout = time.Second

// Options configure an Agent. Zero values are the container's settings.
type Options struct {
	// ChannelDir holds config.json and the socket (default agentproto.ChannelDir).
	ChannelDir string
	// RuntimeAPIAddr is where the Runtime API listens (default agentproto.RuntimeAPIAddr).
	RuntimeAPIAddr string
	// Stdout is the container log (default os.Stdout).
	Stdout io.Writer
	// Log gets the agent's own diagnostics (default: text on stderr).
	Log *slog.Logger
	// Environ is the runtime's environment (default os.Environ()).
	Environ []string
	// Bootstraps are searched when the config has no command (default supervisor.Bootstraps()).
	Bootstraps []string
	// CgroupRoot is where the container's cgroup is mounted (default cgroup.DefaultRoot).
	CgroupRoot string
	// StreamLimit bounds a streamed response (default rules.MaxStreamedResponse).
	StreamLimit int64
	// ExtensionsDir holds the external extensions launched at every init (default, set by the
	// environment: extensions.DefaultDir, /opt/extensions).
	ExtensionsDir string
	// LogBufferBytes bounds the log lines held for the invoker (default
	// logcapture.DefaultSinkBytes).
	LogBufferBytes int
}

// Agent is a configured, listening agent; Run serves until its context ends.
type Agent struct {
	opts    Options
	log     *slog.Logger
	rapi    net.Listener
	chanLn  net.Listener
	capture *logcapture.Capture
	journal *logcapture.Journal
	sink    *logcapture.Sink
	sup     *supervisor.Supervisor

	// A stem (pre-warmed) agent has no function until POST /specialize: env and api are set
	// once, before ready is closed, and read only after it (see stem.go). A function's agent
	// has them from New, and ready is closed from the start.
	stem        bool
	ready       chan struct{}
	env         *environment.Env
	api         *runtimeapi.Server
	apiHandler  http.Handler // api.Handler()
	chanHandler http.Handler // channel.Handler(env)

	mu          sync.Mutex
	specialised bool // POST /specialize was accepted (or the agent is no stem)
	stopping    bool // Run is shutting down: no specialisation any more
}

// New reads the config and opens both listeners.
func New(opts Options) (*Agent, error) {
	opts = withDefaults(opts)
	cfg, err := ReadConfig(filepath.Join(opts.ChannelDir, agentproto.ConfigName))
	if err != nil {
		return nil, err
	}
	sink := logcapture.NewSink(opts.LogBufferBytes)
	journal := logcapture.NewJournal(opts.Stdout, sink)
	capture, err := logcapture.New(journal.Line)
	if err != nil {
		return nil, err
	}
	rapi, err := net.Listen("tcp", opts.RuntimeAPIAddr)
	if err != nil {
		capture.Close()
		return nil, fmt.Errorf("agent: runtime API listener: %w", err)
	}
	chanLn, err := channel.Listen(opts.ChannelDir)
	if err != nil {
		capture.Close()
		rapi.Close()
		return nil, err
	}
	a := &Agent{opts: opts, log: opts.Log, rapi: rapi, chanLn: chanLn, capture: capture, journal: journal,
		sink: sink, sup: supervisor.New(opts.Log), stem: cfg.Stem, ready: make(chan struct{})}
	if !cfg.Stem {
		a.setFunction(cfg, opts.Environ)
	}
	return a, nil
}

// setFunction makes the Runtime API server and the environment of the function cfg describes,
// with environ as the runtime's environment, and marks the agent ready. Called once.
func (a *Agent) setFunction(cfg agentproto.Config, environ []string) {
	api := runtimeapi.NewServer(runtimeapi.Metadata{
		FunctionName: cfg.FunctionName, FunctionVersion: cfg.FunctionVersion, Handler: cfg.Handler}, a.log)
	if a.opts.StreamLimit > 0 {
		api.SetStreamLimit(a.opts.StreamLimit)
	}
	cgroupRoot := a.opts.CgroupRoot
	a.journal.SetFormat(logcapture.NewFormat(cfg.LogFormat, cfg.SystemLogLevel, cfg.ApplicationLogLevel))
	a.env = environment.New(environment.Options{
		Config:        cfg,
		RuntimeAPI:    a.rapi.Addr().String(),
		Environ:       environ,
		Bootstraps:    a.opts.Bootstraps,
		ExtensionsDir: a.opts.ExtensionsDir,
		PeakMemory:    func() (int64, error) { return cgroup.PeakMemory(cgroupRoot) },
	}, api, a.sup, a.capture, a.journal, a.log)
	a.api = api
	a.apiHandler = api.Handler()
	a.chanHandler = channel.Handler(a.env, a.sink)
	a.specialised = true
	close(a.ready)
}

func withDefaults(o Options) Options {
	if o.ChannelDir == "" {
		o.ChannelDir = agentproto.ChannelDir
	}
	if o.RuntimeAPIAddr == "" {
		o.RuntimeAPIAddr = agentproto.RuntimeAPIAddr
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if o.Environ == nil {
		o.Environ = os.Environ()
	}
	if o.Bootstraps == nil {
		o.Bootstraps = supervisor.Bootstraps()
	}
	if o.CgroupRoot == "" {
		o.CgroupRoot = cgroup.DefaultRoot
	}
	return o
}

// ReadConfig reads the invoker's config.json and fills Lambda's defaults.
func ReadConfig(path string) (agentproto.Config, error) {
	var cfg agentproto.Config
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("agent: read config: %w", err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return cfg, fmt.Errorf("agent: parse %s: %w", path, err)
	}
	return configDefaults(cfg), nil
}

// configDefaults fills Lambda's defaults into a function's config.
func configDefaults(cfg agentproto.Config) agentproto.Config {
	if cfg.FunctionVersion == "" {
		cfg.FunctionVersion = function.LatestVersion
	}
	if cfg.MemoryMB == 0 {
		cfg.MemoryMB = rules.DefaultMemoryMB
	}
	return cfg
}

// RuntimeAPIAddr is the address the Runtime API listens on.
func (a *Agent) RuntimeAPIAddr() string { return a.rapi.Addr().String() }

// SocketPath is the channel socket's path.
func (a *Agent) SocketPath() string { return a.chanLn.Addr().String() }

// Run serves both APIs, boots the environment (external extensions, then the runtime) and
// blocks until ctx ends; then it shuts the environment down (SHUTDOWN to the extensions and
// SIGTERM to the runtime first if extensions are registered) and returns.
func (a *Agent) Run(ctx context.Context) error {
	rapiSrv := &http.Server{Handler: a.runtimeAPIHandler()} // no timeouts: /next is a long poll
	chanSrv := &http.Server{Handler: a.channelHandler()}
	serveCtx, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServing()

	errc := make(chan error, 4)
	go func() { errc <- a.capture.Run() }()
	go func() { errc <- a.sup.Run(serveCtx) }()
	go func() { errc <- serve(rapiSrv, a.rapi) }()
	go func() { errc <- serve(chanSrv, a.chanLn) }()

	if !a.stem {
		a.env.Boot()
	}
	<-ctx.Done()

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	var errs []error
	if env := a.stop(); env != nil {
		errs = append(errs, env.Shutdown(shutdownCtx))
	}
	errs = append(errs, rapiSrv.Close())
	// The lines written until now, and those the sink holds for the invoker, still go out:
	// read what is left in the pipe, close the sink so the GET PathLogs stream sends the rest
	// and ends, and only then shut the channel down, waiting a little for that stream.
	if err := a.capture.Sync(); err != nil {
		errs = append(errs, err)
	}
	a.sink.Close()
	drainStart := time.Now()
	drainCtx, stopDrain := context.WithTimeout(context.Background(), channelDrainTimeout)
	if err := chanSrv.Shutdown(drainCtx); err != nil {
		errs = append(errs, chanSrv.Close()) // the invoker is not reading: give up on the rest
	}
	stopDrain()
	errs = append(errs, a.capture.Close())
	if !a.journal.Flush(max(0, channelDrainTimeout-time.Since(drainStart))) {
		a.log.Warn("the container log did not take the last lines in time")
	}
	if n := a.journal.OutDropped(); n > 0 {
		a.log.Warn("container log lines dropped: Docker did not take them in time", "lines", n)
	}
	stopServing()
	for range 4 {
		errs = append(errs, <-errc)
	}
	return errors.Join(errs...)
}

func serve(srv *http.Server, ln net.Listener) error {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("agent: serve %s: %w", ln.Addr(), err)
	}
	return nil
}
