package natssub_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/lambdock/lambdock/internal/infra/natssub"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

func TestHandlersStop(t *testing.T) {
	tests := []struct {
		name      string
		handler   func(ctx context.Context) // what each message does
		stopAfter time.Duration             // Stop's deadline
		wantErr   bool
	}{
		{"quick handlers finish", func(context.Context) {}, 5 * time.Second, false},
		{"blocked handlers are cancelled at the deadline", func(ctx context.Context) { <-ctx.Done() }, 50 * time.Millisecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nc := testenv.Connect(t, testenv.NATS(t).ClientURL())
			h := natssub.NewHandlers()
			var started, finished atomic.Int32
			sub, err := nc.Subscribe("work", func(*nats.Msg) {
				h.Go(func() {
					started.Add(1)
					tt.handler(h.Context())
					finished.Add(1)
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			for range 5 {
				if err := nc.Publish("work", nil); err != nil {
					t.Fatal(err)
				}
			}
			if err := nc.Flush(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), tt.stopAfter)
			defer cancel()
			err = h.Stop(ctx, sub)
			if (err != nil) != tt.wantErr || (tt.wantErr && !errors.Is(err, context.DeadlineExceeded)) {
				t.Fatalf("Stop = %v, want error %v", err, tt.wantErr)
			}
			if started.Load() != 5 || finished.Load() != 5 {
				t.Fatalf("%d handlers started, %d finished; want all 5 of the received messages", started.Load(), finished.Load())
			}
			if h.Go(func() {}) {
				t.Fatal("Go accepted work after Stop")
			}
		})
	}
}
