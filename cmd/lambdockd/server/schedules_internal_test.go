package server

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// A scheduler that cannot subscribe to the change events fails the controller's start-up,
// rather than leaving it without a scheduler until an error shows at shutdown.
func TestStartSchedulerFailsWhenItCannotSubscribe(t *testing.T) {
	ns := testenv.NATS(t)
	js, err := jetstream.New(testenv.Connect(t, ns.ClientURL())) // the lease bucket opens
	if err != nil {
		t.Fatal(err)
	}
	closed := testenv.Connect(t, ns.ClientURL()) // subscriptions fail
	closed.Close()
	s := &Server{nc: closed, js: js, log: zaptest.NewLogger(t)}
	err = s.startScheduler(context.Background())
	for i := len(s.steps) - 1; i >= 0; i-- {
		if serr := s.steps[i].stop(context.Background()); serr != nil {
			t.Logf("stop %s: %v", s.steps[i].name, serr)
		}
	}
	if err == nil {
		t.Fatal("the scheduler started without its subscriptions")
	}
	t.Log(err)
}
