package gateway

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// minIdle is the shortest time a bucket stays after its last use, whatever its refill time.
const minIdle = time.Minute

// keyLimits is a token bucket per access key. A bucket idle for longer than it takes to refill
// completely is full, so dropping it changes nothing; sweeps do that, which keeps memory bounded
// by the keys active within the idle time. A nil *keyLimits allows everything (limits off).
type keyLimits struct {
	limit rate.Limit
	burst int
	idle  time.Duration
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

// newKeyLimits returns per-key limits of perSecond requests with burst, or nil when perSecond
// is 0 (off). A burst below 1 becomes the rate rounded up.
func newKeyLimits(perSecond float64, burst int, now func() time.Time) *keyLimits {
	if perSecond <= 0 {
		return nil
	}
	if burst < 1 {
		burst = int(perSecond)
		if float64(burst) < perSecond {
			burst++
		}
	}
	idle := time.Duration(float64(burst) / perSecond * float64(time.Second))
	idle = max(idle, minIdle)
	if now == nil {
		now = time.Now
	}
	return &keyLimits{limit: rate.Limit(perSecond), burst: burst, idle: idle, now: now,
		buckets: map[string]*bucket{}, lastSweep: now()}
}

// allow takes one token from the key's bucket and reports whether there was one.
func (l *keyLimits) allow(keyID string) bool {
	if l == nil || keyID == "" {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= l.idle {
		l.sweep(now)
	}
	b, ok := l.buckets[keyID]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[keyID] = b
	}
	b.used = now
	return b.lim.AllowN(now, 1)
}

// sweep drops the buckets idle for l.idle or longer; the caller holds mu.
func (l *keyLimits) sweep(now time.Time) {
	for id, b := range l.buckets {
		if now.Sub(b.used) >= l.idle {
			delete(l.buckets, id)
		}
	}
	l.lastSweep = now
}

// size is the number of buckets held (for tests).
func (l *keyLimits) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
