package testenv

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/infra/natsserver"
)

// NATS starts an embedded NATS server with JetStream on a random loopback port, shut down when
// the test ends.
func NATS(t testing.TB) *natsserver.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	s, err := natsserver.Start(ctx, natsserver.Options{StoreDir: t.TempDir(), Port: natsserver.RandomPort}, quietLogger())
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// Connect connects to the NATS server at url (see natsserver.Connect); the connection is closed
// when the test ends.
func Connect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	nc, err := natsserver.Connect(ctx, url, quietLogger())
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// JetStream starts an embedded NATS server (NATS) and returns a connection to it and its
// JetStream context.
func JetStream(t testing.TB) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc := Connect(t, NATS(t).ClientURL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return nc, js
}
