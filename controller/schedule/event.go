package schedule

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/target"
	"github.com/lambdock/lambdock/internal/store"
)

var (
	// requestNamespace derives a tick's request id: uuid v5 of "<schedule id>@<tick>", the same
	// for every controller and every republish, so the event stream's duplicate window drops a
	// tick published twice.
	requestNamespace = uuid.MustParse("5c6a3f7e-3b1d-4f0e-9d2a-6c1b8e4f2a10")
	// eventNamespace derives the EventBridge event's own id the same way.
	eventNamespace = uuid.MustParse("9e2d41b3-7a6c-4c8e-b5f1-0d3e7a9c2b64")
)

// tickKey names one tick of one schedule.
func tickKey(sc *store.Schedule, tick time.Time) []byte {
	return []byte(sc.ID + "@" + tick.UTC().Format(time.RFC3339Nano))
}

// RequestID is the request id of a schedule's tick: deterministic (uuid v5).
func RequestID(scheduleID string, tick time.Time) string {
	return uuid.NewSHA1(requestNamespace, tickKey(&store.Schedule{ID: scheduleID}, tick)).String()
}

// scheduledEvent is EventBridge's scheduled event (lambda-api.md §9.2).
type scheduledEvent struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// invocation builds the asynchronous invocation of one tick of sc on function f, published at
// now: the schedule's own payload, or EventBridge's scheduled event (whose time is the tick).
// EnqueuedAt is now, not the tick: the maximum event age counts from when the event was queued,
// as Lambda counts it from EventBridge's delivery, so a missed tick fired on recovery hours
// late runs instead of expiring at once. A republish of the tick has the same request id
// (and is dropped) whatever its EnqueuedAt.
func invocation(sc *store.Schedule, f *store.Function, region string, tick, now time.Time) msg.Invocation {
	tick = tick.UTC()
	payload := sc.Payload
	if payload == nil {
		payload, _ = json.Marshal(scheduledEvent{ // plain strings: Marshal cannot fail
			Version: "0", ID: uuid.NewSHA1(eventNamespace, tickKey(sc, tick)).String(),
			DetailType: "Scheduled Event", Source: "aws.events", Account: sc.AccountID,
			Time: tick.Format(time.RFC3339), Region: region,
			Resources: []string{target.RuleARN(region, sc.AccountID, sc.Name)}, Detail: json.RawMessage(`{}`),
		})
	}
	spec := f.Spec()
	spec.Region = region
	return msg.Invocation{
		RequestID:          RequestID(sc.ID, tick),
		Function:           spec,
		Payload:            payload,
		InvokedFunctionArn: spec.ARN(),
		Event:              &msg.EventInfo{Attempt: 1, EnqueuedAt: now.UTC(), Source: msg.EventSourceSchedule},
	}
}
