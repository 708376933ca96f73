// Package backoff is the one exponential backoff of Lambdock's retry loops: a delay that starts
// at a minimum, doubles after each failure up to a maximum, and starts over after a success, and
// a sleep that a context can cut short.
//
// It only computes and waits. It is not a retry loop: the caller decides what to retry, when to
// give up and what to log. It imports nothing but the standard library.
package backoff

import (
	"context"
	"time"
)

// Backoff yields Min, 2×Min, 4×Min, … capped at Max. The zero value with Min and Max set is
// ready; it is not safe for concurrent use (each retry loop owns one).
type Backoff struct {
	Min, Max time.Duration

	next time.Duration // the delay Next returns; 0 before the first Next or after Reset
}

// Peek is the delay Next would return now, without advancing.
func (b *Backoff) Peek() time.Duration {
	if b.next == 0 {
		return min(b.Min, b.Max)
	}
	return b.next
}

// Next returns the delay to wait after a failure and doubles the following one, up to Max.
func (b *Backoff) Next() time.Duration {
	d := b.Peek()
	b.next = min(2*d, b.Max)
	return d
}

// Reset starts over from Min, as after a success.
func (b *Backoff) Reset() { b.next = 0 }

// Sleep waits d or until ctx ends; it reports whether ctx is still live.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
