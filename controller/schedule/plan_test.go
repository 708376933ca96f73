package schedule

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/schedexpr"
	"github.com/lambdock/lambdock/internal/store"
)

func TestDueTicks(t *testing.T) {
	anchor := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	at := func(sec int) time.Time { return anchor.Add(time.Duration(sec) * time.Second) }
	const grace = 10 * time.Second
	for _, tc := range []struct {
		name      string
		expr      string
		catchUp   string
		last, now time.Time
		fire      []time.Time
		skipped   time.Time
	}{
		{"nothing due yet", "rate(1 minute)", "one", time.Time{}, at(59), nil, time.Time{}},
		{"the first tick", "rate(1 minute)", "one", time.Time{}, at(60), []time.Time{at(60)}, time.Time{}},
		{"already fired", "rate(1 minute)", "one", at(60), at(61), nil, time.Time{}},
		{"late ticks within grace all fire", "rate(1 second)", "one", at(3), at(7),
			[]time.Time{at(4), at(5), at(6), at(7)}, time.Time{}},
		{"missed ticks: the latest once, then the recent ones", "rate(1 second)", "one", at(3), at(100),
			[]time.Time{at(90), at(91), at(92), at(93), at(94), at(95), at(96), at(97), at(98), at(99), at(100)}, time.Time{}},
		{"missed ticks skipped", "rate(1 second)", "none", at(3), at(100),
			[]time.Time{at(91), at(92), at(93), at(94), at(95), at(96), at(97), at(98), at(99), at(100)}, at(90)},
		{"a missed hourly tick fires once", "rate(1 hour)", "one", time.Time{}, at(5*3600 + 30),
			[]time.Time{at(5 * 3600)}, time.Time{}},
		{"a missed hourly tick is skipped", "rate(1 hour)", "none", time.Time{}, at(5*3600 + 30), nil, at(5 * 3600)},
		{"a cron tick on time", "cron(0 10 * * ? *)", "none", time.Time{}, at(24*3600 + 1),
			[]time.Time{at(24 * 3600)}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := schedexpr.Parse(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			sc := &store.Schedule{Anchor: anchor, CatchUp: tc.catchUp}
			fire, skipped := dueTicks(e, sc, tc.last, tc.now, grace)
			if len(fire) != len(tc.fire) || !skipped.Equal(tc.skipped) {
				t.Fatalf("fire %v skipped %v; want %v, %v", fire, skipped, tc.fire, tc.skipped)
			}
			for i := range fire {
				if !fire[i].Equal(tc.fire[i]) {
					t.Fatalf("fire %v; want %v", fire, tc.fire)
				}
			}
		})
	}
}

func TestInvocation(t *testing.T) {
	tick := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	sc := &store.Schedule{ID: "7d3c0c55-3d6a-4bde-9b7a-1f0c2a6a9d11", AccountID: "123456789012", Name: "nightly",
		FunctionName: "f"}
	f := &store.Function{AccountID: "123456789012", Name: "f", TimeoutSec: 3, MemoryMB: 128}
	now := tick.Add(3 * time.Hour) // a missed tick fired on recovery
	inv := invocation(sc, f, "eu-west-1", tick, now)
	if again := invocation(sc, f, "eu-west-1", tick, now.Add(time.Minute)); inv.RequestID != again.RequestID ||
		string(inv.Payload) != string(again.Payload) ||
		inv.RequestID == invocation(sc, f, "eu-west-1", tick.Add(time.Second), now).RequestID {
		t.Fatal("request ids and payloads are not one per tick")
	}
	if inv.Event == nil || inv.Event.Attempt != 1 || !inv.Event.EnqueuedAt.Equal(now) ||
		inv.Event.Source != msg.EventSourceSchedule || inv.InvokedFunctionArn != "arn:aws:lambda:eu-west-1:123456789012:function:f" ||
		inv.Function.Region != "eu-west-1" || !inv.Deadline.IsZero() {
		t.Fatalf("invocation %+v", inv)
	}
	var ev map[string]any
	if err := json.Unmarshal(inv.Payload, &ev); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"version": "0", "detail-type": "Scheduled Event", "source": "aws.events",
		"account": "123456789012", "time": "2026-03-01T10:00:00Z", "region": "eu-west-1"} {
		if ev[k] != want {
			t.Errorf("%s = %v, want %v", k, ev[k], want)
		}
	}
	if r, ok := ev["resources"].([]any); !ok || len(r) != 1 || r[0] != "arn:aws:events:eu-west-1:123456789012:rule/nightly" {
		t.Errorf("resources = %v", ev["resources"])
	}
	if d, ok := ev["detail"].(map[string]any); !ok || len(d) != 0 {
		t.Errorf("detail = %v", ev["detail"])
	}
	if id, _ := ev["id"].(string); len(id) != 36 || id == inv.RequestID {
		t.Errorf("id = %v", ev["id"])
	}
	sc.Payload = []byte(`{"own":true}`)
	if got := invocation(sc, f, "eu-west-1", tick, now).Payload; string(got) != `{"own":true}` {
		t.Errorf("own payload = %s", got)
	}
}
