package natsserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// Port values of Options.
const (
	// DefaultPort is the standard NATS client port, used when Options.Port is 0.
	DefaultPort = 4222
	// RandomPort makes the server pick a free port (see ClientURL).
	RandomPort = server.RANDOM_PORT
)

// readyTimeout bounds the wait for the server when ctx has no deadline.
const readyTimeout = 30 * time.Second

// Options configures the embedded server.
type Options struct {
	// StoreDir is where JetStream keeps its files. Required.
	StoreDir string
	// Host is the listen address (default 127.0.0.1: the server has no authentication).
	Host string
	// Port is the client port: 0 means DefaultPort, RandomPort (-1) a free one.
	Port int
	// Sync is how JetStream syncs its files to disk: the zero value is
	// nats-server's default, every 2 minutes, so an acknowledged message is written to the
	// operating system but may be lost with the machine (not with the process) until then.
	Sync Sync
}

// Sync is JetStream's sync policy: Always fsyncs every write before its acknowledgement;
// otherwise the files are synced every Interval (0: nats-server's default, 2 minutes).
type Sync struct {
	Always   bool
	Interval time.Duration
}

// Server is a running embedded NATS server.
type Server struct {
	ns *server.Server
}

// Start runs an embedded NATS server with JetStream and waits until it accepts connections.
func Start(ctx context.Context, opts Options, log *zap.Logger) (*Server, error) {
	if opts.StoreDir == "" {
		return nil, errors.New("natsserver: StoreDir is required")
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Port == 0 {
		opts.Port = DefaultPort
	}
	ns, err := server.NewServer(&server.Options{
		ServerName:   "lambdock",
		Host:         opts.Host,
		Port:         opts.Port,
		JetStream:    true,
		StoreDir:     opts.StoreDir,
		MaxPayload:   msg.MaxPayload,
		NoSigs:       true,
		SyncAlways:   opts.Sync.Always,
		SyncInterval: opts.Sync.Interval,
	})
	if err != nil {
		return nil, fmt.Errorf("natsserver: configure: %w", err)
	}
	ns.SetLoggerV2(zapLogger{log.Sugar()}, false, false, false)
	ns.Start()
	wait := readyTimeout
	if dl, ok := ctx.Deadline(); ok {
		wait = time.Until(dl)
	}
	if !ns.ReadyForConnections(wait) {
		ns.Shutdown()
		return nil, fmt.Errorf("natsserver: not ready to accept connections on %s:%d after %v", opts.Host, opts.Port, wait)
	}
	if !ns.JetStreamEnabled() {
		ns.Shutdown()
		return nil, fmt.Errorf("natsserver: JetStream did not start (store directory %s)", opts.StoreDir)
	}
	log.Info("embedded NATS ready", zap.String("url", ns.ClientURL()), zap.String("store_dir", opts.StoreDir))
	return &Server{ns: ns}, nil
}

// ClientURL is the URL clients connect to, e.g. nats://127.0.0.1:4222.
func (s *Server) ClientURL() string { return s.ns.ClientURL() }

// InProcessConn is a connection to the server inside this process, without TCP: pass the server
// to nats.InProcessServer.
func (s *Server) InProcessConn() (net.Conn, error) { return s.ns.InProcessConn() }

// Shutdown stops the server and waits until it has stopped; JetStream state is flushed to disk.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}

// zapLogger is nats-server's Logger on zap. Fatalf logs an error: the server never decides to
// end the process.
type zapLogger struct{ s *zap.SugaredLogger }

func (l zapLogger) Noticef(format string, v ...any) { l.s.Infof(format, v...) }
func (l zapLogger) Warnf(format string, v ...any)   { l.s.Warnf(format, v...) }
func (l zapLogger) Fatalf(format string, v ...any)  { l.s.Errorf(format, v...) }
func (l zapLogger) Errorf(format string, v ...any)  { l.s.Errorf(format, v...) }
func (l zapLogger) Debugf(format string, v ...any)  { l.s.Debugf(format, v...) }
func (l zapLogger) Tracef(format string, v ...any)  { l.s.Debugf(format, v...) }
