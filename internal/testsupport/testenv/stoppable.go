package testenv

import (
	"context"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/lambdock/lambdock/internal/infra/natsserver"
)

// StoppableNATS is an embedded NATS server with JetStream that a test stops (Stop) and starts
// again on the same port and store directory (Start), so clients reconnect and streams are kept.
// The running server is shut down when the test ends.
type StoppableNATS struct {
	t    testing.TB
	dir  string
	port int
	url  string

	mu  sync.Mutex
	srv *natsserver.Server // nil while stopped
}

// NewStoppableNATS starts a server on a random loopback port.
func NewStoppableNATS(t testing.TB) *StoppableNATS {
	t.Helper()
	s := &StoppableNATS{t: t, dir: t.TempDir()}
	srv := s.start(natsserver.RandomPort)
	u, err := url.Parse(srv.ClientURL())
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	s.port, _ = strconv.Atoi(u.Port())
	s.url = srv.ClientURL()
	t.Cleanup(s.Stop)
	return s
}

// ClientURL is the server's address; it stays the same across restarts.
func (s *StoppableNATS) ClientURL() string { return s.url }

// Stop shuts the server down (nothing when it is stopped).
func (s *StoppableNATS) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv = nil
	}
}

// Start starts the server again on the same port and store and returns it.
func (s *StoppableNATS) Start() *natsserver.Server {
	s.t.Helper()
	return s.start(s.port)
}

func (s *StoppableNATS) start(port int) *natsserver.Server {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	srv, err := natsserver.Start(ctx, natsserver.Options{StoreDir: s.dir, Port: port}, quietLogger())
	if err != nil {
		s.t.Fatalf("testenv: %v", err)
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	return srv
}
