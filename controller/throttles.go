package controller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/infra/ticker"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/metering"
)

// DefaultThrottleFlush is the default of Config.ThrottleFlush.
const DefaultThrottleFlush = time.Second

// throttlePublishTimeout bounds one publish of a Throttles record.
const throttlePublishTimeout = 5 * time.Second

// maxThrottleCounts is the most counts one Throttles record holds (about 35 KiB of JSON at the
// longest names), so that a record stays below the usage stream's MaxMsgSize (64 KiB) however
// many keys were counted; more counts go to further records, each with its own ID.
const maxThrottleCounts = 200

// throttleKey is what throttles are counted by: one function of one account in one UTC hour.
type throttleKey struct {
	account, function, arch string
	hour                    time.Time
}

// throttleCounter counts the invocations the controller throttled (429 from admission: the
// reserved or the account concurrency) and publishes the counts as msg.Throttles records on the
// usage stream, where the usage writer adds them to the aggregates once per record ID.
//
// Counts live in memory until published (about every second), so those of a controller that
// crashes (kill -9, power loss) before its next publish are lost: throttles are reported, never
// billed, so this loss is accepted. A clean Close publishes what is left. A record whose publish
// failed is kept with its ID and published again as it is (new counts go to the next record),
// so that the stream's duplicate window, and the writer's usage_batches, drop a retry of a
// record that was stored after all. A record holds at most maxThrottleCounts counts; one the
// stream refuses as such (too large, bad subject: no retry could store it) is dropped with an
// error log, so that it does not hold up every later record.
type throttleCounter struct {
	js           jetstream.JetStream // nil: counts are kept by nobody
	controllerID string
	log          *zap.Logger

	mu      sync.Mutex
	counts  map[throttleKey]int64
	pending *msg.Throttles // published without an answer yet; retried with the same ID
	seq     uint64
}

func newThrottleCounter(js jetstream.JetStream, controllerID string, log *zap.Logger) *throttleCounter {
	return &throttleCounter{js: js, controllerID: controllerID, log: log, counts: map[throttleKey]int64{}}
}

// observe counts err when it is a throttle by the controller's admission.
func (t *throttleCounter) observe(spec function.Spec, err error, now time.Time) {
	var apiErr *lambdaerr.APIError
	if t.js == nil || !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests {
		return
	}
	arch := spec.Architecture
	if arch == "" {
		arch = rules.ArchX86
	}
	k := throttleKey{account: spec.AccountID, function: spec.Name, arch: arch, hour: now.UTC().Truncate(time.Hour)}
	t.mu.Lock()
	t.counts[k]++
	t.mu.Unlock()
}

// run publishes the counts every period until ctx ends.
func (t *throttleCounter) run(ctx context.Context, period time.Duration) {
	if t.js == nil {
		return
	}
	ticker.Every(ctx, period, func(ctx context.Context) {
		if err := t.flush(ctx); err != nil && ctx.Err() == nil {
			t.log.Warn("throttle counts not published, will retry", zap.Error(err))
		}
	})
}

// flush publishes the pending record, if any, and then the counts gathered since, in records of
// at most maxThrottleCounts counts; a record the stream refuses as such is dropped. Only one
// flush runs at a time (run's loop, then Close's last one).
func (t *throttleCounter) flush(ctx context.Context) error {
	if t.js == nil {
		return nil
	}
	for {
		rec := t.next()
		if rec == nil {
			return nil
		}
		pctx, cancel := context.WithTimeout(ctx, throttlePublishTimeout)
		_, err := t.js.Publish(pctx, msg.ThrottlesSubject(t.controllerID), msg.Encode(*rec),
			jetstream.WithMsgID(rec.ID))
		cancel()
		if err != nil && !metering.Unstorable(err) {
			return fmt.Errorf("controller: publish throttles %s: %w", rec.ID, err)
		}
		if err != nil {
			var n int64
			for _, c := range rec.Counts {
				n += c.Count
			}
			t.log.Error("throttle counts dropped: the usage stream refuses their record", zap.String("id", rec.ID),
				zap.Int("keys", len(rec.Counts)), zap.Int64("throttles", n), zap.Error(err))
		}
		t.mu.Lock()
		t.pending = nil
		t.mu.Unlock()
	}
}

// next is the record to publish: the pending one, else a new one of at most maxThrottleCounts
// of the counts gathered so far (which become pending), else nil.
func (t *throttleCounter) next() *msg.Throttles {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending != nil {
		return t.pending
	}
	if len(t.counts) == 0 {
		return nil
	}
	t.seq++
	rec := &msg.Throttles{ID: t.controllerID + "-" + strconv.FormatUint(t.seq, 10), ControllerID: t.controllerID}
	for k, n := range t.counts {
		if len(rec.Counts) == maxThrottleCounts {
			break
		}
		rec.Counts = append(rec.Counts, msg.ThrottleCount{AccountID: k.account, Function: k.function,
			Architecture: k.arch, Hour: k.hour, Count: n})
		delete(t.counts, k)
	}
	t.pending = rec
	return rec
}

// newControllerID is a controller's id when Config.ID is empty: unique per process start, so
// that the ids of its Throttles records never repeat those of an earlier run.
func newControllerID() string { return "ctl-" + nuid.Next() }
