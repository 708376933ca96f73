package server

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/lambdock/lambdock/controller/schedule"
)

// startScheduler runs the scheduler beside the controller: every controller runs one, and the
// one holding the scheduler lease fires the schedules. On stop it gives the lease up, so another
// controller takes over at once. The event stream the ticks go to exists: startAsync, which
// runs first, ensured it. A scheduler that cannot start (its lease bucket, its subscriptions to
// the change events) fails the start-up; one that stops before the server does is logged at once.
func (s *Server) startScheduler(ctx context.Context) error {
	sched, err := schedule.New(ctx, schedule.Config{NATS: s.nc, JetStream: s.js, Store: s.store, Logger: s.log})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() {
		err := sched.Run(runCtx)
		if runCtx.Err() == nil {
			s.log.Error("the scheduler stopped: this controller fires no schedule", zap.Error(err))
		}
		done <- err
	}()
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
