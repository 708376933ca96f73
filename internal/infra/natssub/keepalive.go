package natssub

import (
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// KeepInProgress tells JetStream every period that msgs are still being worked on (InProgress
// resets their ack wait), until the returned stop is called; stop waits for the loop to end.
// Use a third of the consumer's AckWait: two lost InProgress in a row still leave time. A lost
// InProgress only shortens a message's ack wait.
func KeepInProgress(every time.Duration, msgs ...jetstream.Msg) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				for _, m := range msgs {
					_ = m.InProgress()
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}
