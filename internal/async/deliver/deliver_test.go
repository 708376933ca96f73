package deliver_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/async/deliver"
	"github.com/lambdock/lambdock/internal/contract/target"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// TestPublish: a queue is created and written once per message id; a subject a stream captures
// is written through JetStream (and deduplicated); a plain subject reaches its subscriber.
func TestPublish(t *testing.T) {
	ctx := context.Background()
	nc, js := testenv.JetStream(t)
	const acct = "000000000000"
	parse := func(arn string) target.Target {
		tg, err := target.Parse(arn)
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	msgs := func(stream string) uint64 {
		s, err := js.Stream(ctx, stream)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Msgs
	}

	queue := parse("arn:aws:nats:us-east-1:" + acct + ":queue/failed")
	for range 2 {
		if err := deliver.Publish(ctx, nc, js, queue, []byte(`{"n":1}`), "rec-1"); err != nil {
			t.Fatal(err)
		}
	}
	if n := msgs(target.QueueStream(acct, "failed")); n != 1 {
		t.Errorf("queue holds %d messages, want 1 (the second publish of rec-1 is a duplicate)", n)
	}

	captured := parse("arn:aws:nats:us-east-1:" + acct + ":subject/orders.done")
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "ORDERS", Subjects: []string{captured.NATSSubject()},
		Duplicates: time.Minute}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "a", "b"} {
		if err := deliver.Publish(ctx, nc, js, captured, []byte(id), id); err != nil {
			t.Fatal(err)
		}
	}
	if n := msgs("ORDERS"); n != 2 {
		t.Errorf("captured subject's stream holds %d messages, want 2", n)
	}

	plain := parse("arn:aws:nats:us-east-1:" + acct + ":subject/plain")
	sub, err := nc.SubscribeSync(plain.NATSSubject())
	if err != nil {
		t.Fatal(err)
	}
	if err := deliver.Publish(ctx, nc, js, plain, []byte("hi"), "x"); err != nil {
		t.Fatal(err)
	}
	if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "hi" {
		t.Errorf("plain subject: %v, %v", m, err)
	}

	if err := deliver.Publish(ctx, nc, js, parse("arn:aws:lambda:us-east-1:"+acct+":function:f"), nil, ""); err == nil {
		t.Error("a function target was published to")
	}
}
