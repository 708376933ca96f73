package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
)

// TestSchedules walks a schedule through its life: create (once per name), get, list in pages,
// fire (only forward), update (a new expression restarts the anchor), and removal with its
// function.
func TestSchedules(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	const acct = tenant.AdminAccountID
	sc := &store.Schedule{AccountID: acct, Name: "nightly", FunctionName: "f", Expression: "rate(1 day)",
		CatchUp: store.CatchUpOne, Enabled: true}
	if err := st.CreateSchedule(ctx, sc); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("schedule of a missing function: %v, want ErrNotFound", err)
	}
	for _, name := range []string{"f", "g"} {
		if err := st.CreateFunction(ctx, sample(name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CreateSchedule(ctx, sc); err != nil || sc.ID == "" || sc.Anchor.IsZero() || !sc.LastTick.IsZero() {
		t.Fatalf("create: %+v, %v", sc, err)
	}
	if err := st.CreateSchedule(ctx, &store.Schedule{AccountID: acct, Name: "nightly", FunctionName: "g",
		Expression: "rate(1 day)", CatchUp: store.CatchUpOne}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("same name again: %v, want ErrExists", err)
	}
	for _, name := range []string{"a", "b", "c"} {
		if err := st.CreateSchedule(ctx, &store.Schedule{AccountID: acct, Name: name, FunctionName: "g",
			Expression: "cron(0 12 * * ? *)", Payload: []byte(`{"k":1}`), CatchUp: store.CatchUpNone}); err != nil {
			t.Fatal(err)
		}
	}
	page, next, err := st.ListSchedules(ctx, acct, "", 2)
	if err != nil || len(page) != 2 || page[0].Name != "a" || next != "b" {
		t.Fatalf("first page: %d items, next %q, %v", len(page), next, err)
	}
	page, next, err = st.ListSchedules(ctx, acct, next, 2)
	if err != nil || len(page) != 2 || page[0].Name != "c" || page[1].Name != "nightly" || next != "" {
		t.Fatalf("second page: %d items, next %q, %v", len(page), next, err)
	}
	if enabled, err := st.EnabledSchedules(ctx); err != nil || len(enabled) != 1 || enabled[0].ID != sc.ID {
		t.Fatalf("EnabledSchedules = %d, %v", len(enabled), err)
	}

	tick := sc.Anchor.Add(24 * time.Hour)
	if moved, err := st.MarkScheduleFired(ctx, sc.ID, tick); err != nil || !moved {
		t.Fatalf("fire: %v, %v", moved, err)
	}
	for _, again := range []time.Time{tick, tick.Add(-time.Hour)} {
		if moved, err := st.MarkScheduleFired(ctx, sc.ID, again); err != nil || moved {
			t.Fatalf("fire %s again: %v, %v", again, moved, err)
		}
	}
	got, err := st.GetSchedule(ctx, acct, "nightly")
	if err != nil || !got.LastTick.Equal(tick) || got.FunctionName != "f" || got.Payload != nil {
		t.Fatalf("get: %+v, %v", got, err)
	}

	upd := *got
	upd.Enabled = false
	if err := st.UpdateSchedule(ctx, &upd); err != nil || !upd.LastTick.Equal(tick) || !upd.Anchor.Equal(sc.Anchor) {
		t.Fatalf("update without a new expression: %+v, %v", upd, err)
	}
	upd.Expression = "rate(2 days)"
	if err := st.UpdateSchedule(ctx, &upd); err != nil || !upd.LastTick.IsZero() || !upd.Anchor.After(sc.Anchor) {
		t.Fatalf("update with a new expression: %+v, %v", upd, err)
	}
	upd.Enabled = true
	if err := st.UpdateSchedule(ctx, &upd); err != nil || !upd.LastTick.Equal(upd.LastModified) {
		t.Fatalf("enable: %+v, %v; want the last tick at the enabling", upd, err)
	}
	upd.FunctionName = "nope"
	if err := st.UpdateSchedule(ctx, &upd); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update to a missing function: %v", err)
	}

	if err := st.DeleteFunction(ctx, acct, "g"); err != nil {
		t.Fatal(err)
	}
	if all, _, err := st.ListSchedules(ctx, acct, "", 0); err != nil || len(all) != 1 {
		t.Fatalf("after deleting g: %d schedules, %v", len(all), err)
	}
	if err := st.DeleteSchedule(ctx, acct, "nightly"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteSchedule(ctx, acct, "nightly"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if moved, err := st.MarkScheduleFired(ctx, sc.ID, tick.Add(time.Hour)); err != nil || moved {
		t.Fatalf("fire a deleted schedule: %v, %v", moved, err)
	}
}
