package natsserver_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/infra/natsserver"
)

func TestStartConnectRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log := zap.NewNop()
	s, err := natsserver.Start(ctx, natsserver.Options{StoreDir: dir, Port: natsserver.RandomPort}, log)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	nc, err := natsserver.Connect(ctx, s.ClientURL(), log)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	defer nc.Close()
	if got := nc.MaxPayload(); got != msg.MaxPayload {
		t.Fatalf("max payload %d, want %d", got, msg.MaxPayload)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "kept", Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatalf("JetStream: %v", err)
	}
	if _, err := kv.PutString(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	s.Shutdown()

	// The same store directory brings the JetStream data back.
	s2, err := natsserver.Start(ctx, natsserver.Options{StoreDir: dir, Port: natsserver.RandomPort}, log)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer s2.Shutdown()
	nc2, err := natsserver.Connect(ctx, s2.ClientURL(), log)
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	js2, err := jetstream.New(nc2)
	if err != nil {
		t.Fatal(err)
	}
	kv2, err := js2.KeyValue(ctx, "kept")
	if err != nil {
		t.Fatalf("bucket after restart: %v", err)
	}
	if e, err := kv2.Get(ctx, "k"); err != nil || string(e.Value()) != "v" {
		t.Fatalf("key after restart: %v, %v", e, err)
	}
}

func TestStartNeedsStoreDir(t *testing.T) {
	if _, err := natsserver.Start(context.Background(), natsserver.Options{Port: natsserver.RandomPort}, zap.NewNop()); err == nil {
		t.Fatal("Start without StoreDir succeeded")
	}
}

func TestConnectGivesUpWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Port 1 on loopback: nothing listens there.
	if _, err := natsserver.Connect(ctx, "nats://127.0.0.1:1", zap.NewNop()); err == nil {
		t.Fatal("Connect to nothing succeeded")
	}
}
