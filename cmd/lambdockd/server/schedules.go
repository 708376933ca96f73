package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/controller/schedule"
	"github.com/lambdock/lambdock/internal/async/eventq"
	"github.com/lambdock/lambdock/internal/contract/msg"
)

// startScheduler runs the scheduler beside the controller: every controller runs one, and the
// one holding the scheduler lease fires the schedules. On stop it gives the lease up, so another
// controller takes over at once.
func (s *Server) startScheduler(ctx context.Context) error {
	// The event stream is configured by the async wiring; create it with the defaults only when
	// nothing did yet, so that ticks have somewhere to go.
	if _, err := s.js.Stream(ctx, msg.StreamEvents); errors.Is(err, jetstream.ErrStreamNotFound) {
		if err := eventq.EnsureStream(ctx, s.js, 0); err != nil {
			return fmt.Errorf("server: %w", err)
		}
	}
	sched, err := schedule.New(ctx, schedule.Config{NATS: s.nc, JetStream: s.js, Store: s.store, Logger: s.log})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- sched.Run(runCtx) }()
	s.onStop("scheduler", false, func(ctx context.Context) error {
		stop()
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	return nil
}
