package queuestream_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/async/queuestream"
	"github.com/lambdock/lambdock/internal/contract/target"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// TestQueue: Ensure creates a work queue on the queue's subject and keeps an existing one;
// a plain publish lands in it; RemoveOtherConsumers keeps only the named mapping consumer;
// DeleteConsumer tolerates what is already gone.
func TestQueue(t *testing.T) {
	ctx := context.Background()
	nc, js := testenv.JetStream(t)
	const acct = "000000000000"
	s, err := queuestream.Ensure(ctx, js, acct, "jobs")
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if cfg.Name != target.QueueStream(acct, "jobs") || cfg.Retention != jetstream.WorkQueuePolicy ||
		cfg.Storage != jetstream.FileStorage || len(cfg.Subjects) != 1 || cfg.Subjects[0] != target.QueueSubject(acct, "jobs") {
		t.Fatalf("queue config %+v", cfg)
	}
	if err := nc.Publish(target.QueueSubject(acct, "jobs"), []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	again, err := queuestream.Ensure(ctx, js, acct, "jobs")
	if err != nil {
		t.Fatal(err)
	}
	// Flush returns once the server has the message; the stream stores it a moment later, on
	// the server's own goroutine.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		info, err := again.Info(ctx)
		if err == nil && info.State.Msgs == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue after a plain publish and a second Ensure: %+v, %v", info, err)
		}
	}

	// Filtered consumers, so that the work queue takes several at once for this test.
	for _, name := range []string{queuestream.ConsumerName("a"), queuestream.ConsumerName("b"), "other"} {
		if _, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: name,
			FilterSubject: target.QueueSubject(acct, "jobs") + "." + name, AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
			t.Fatal(err)
		}
	}
	if err := queuestream.RemoveOtherConsumers(ctx, js, acct, "jobs", queuestream.ConsumerName("b")); err != nil {
		t.Fatal(err)
	}
	var left []string
	names := s.ConsumerNames(ctx)
	for n := range names.Name() {
		left = append(left, n)
	}
	if len(left) != 2 {
		t.Fatalf("consumers left: %v, want the kept mapping's and the foreign one", left)
	}
	for range 2 {
		if err := queuestream.DeleteConsumer(ctx, js, acct, "jobs", "b"); err != nil {
			t.Fatal(err)
		}
	}
	if err := queuestream.DeleteConsumer(ctx, js, acct, "missing-queue", "b"); err != nil {
		t.Fatal(err)
	}
}

// TestQueuesPerAccount: an account has at most MaxPerAccount queues; an existing one is still
// returned, and another account is not affected.
func TestQueuesPerAccount(t *testing.T) {
	ctx := context.Background()
	_, js := testenv.JetStream(t)
	const acct, other = "000000000001", "000000000002"
	for i := range queuestream.MaxPerAccount {
		if _, err := queuestream.Ensure(ctx, js, acct, fmt.Sprintf("q%d", i)); err != nil {
			t.Fatalf("queue %d: %v", i, err)
		}
	}
	if _, err := queuestream.Ensure(ctx, js, acct, "one-too-many"); !errors.Is(err, queuestream.ErrTooMany) {
		t.Fatalf("queue %d: %v, want ErrTooMany", queuestream.MaxPerAccount+1, err)
	}
	if _, err := queuestream.Ensure(ctx, js, acct, "q0"); err != nil {
		t.Fatalf("an existing queue: %v", err)
	}
	if _, err := queuestream.Ensure(ctx, js, other, "q0"); err != nil {
		t.Fatalf("another account's first queue: %v", err)
	}
}
