package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
)

// TestEventSourceMappings walks mappings through their life: create (one per queue, only for
// an existing function), get, list with filters and pages, update, result, delete, and
// removal together with the function.
func TestEventSourceMappings(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	const acct = tenant.AdminAccountID
	newMapping := func(fn, queue string) *store.EventSourceMapping {
		return &store.EventSourceMapping{UUID: uuid.NewString(), AccountID: acct, FunctionName: fn,
			EventSourceARN: "arn:aws:nats:us-east-1:" + acct + ":queue/" + queue, QueueName: queue,
			BatchSize: 10, Enabled: true, MaximumRetryAttempts: -1}
	}
	if err := st.CreateEventSourceMapping(ctx, newMapping("none", "q0")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("mapping of a missing function: %v, want ErrNotFound", err)
	}
	for _, name := range []string{"f", "g"} {
		if err := st.CreateFunction(ctx, sample(name)); err != nil {
			t.Fatal(err)
		}
	}
	var made []*store.EventSourceMapping
	for i, q := range []string{"q1", "q2", "q3"} {
		m := newMapping([]string{"f", "f", "g"}[i], q)
		if err := st.CreateEventSourceMapping(ctx, m); err != nil {
			t.Fatal(err)
		}
		if m.LastModified.IsZero() || m.LastProcessingResult != store.ResultNoRecords {
			t.Fatalf("created %+v", m)
		}
		made = append(made, m)
	}
	if err := st.CreateEventSourceMapping(ctx, newMapping("g", "q1")); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second mapping of q1: %v, want ErrExists", err)
	}
	got, err := st.GetEventSourceMapping(ctx, acct, made[0].UUID)
	if err != nil || got.QueueName != "q1" || got.FunctionName != "f" || got.OnFailure != "" || got.MaximumRetryAttempts != -1 {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	for _, id := range []string{"not-a-uuid", uuid.NewString()} {
		if _, err := st.GetEventSourceMapping(ctx, acct, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Get(%s): %v, want ErrNotFound", id, err)
		}
	}
	if _, err := st.GetEventSourceMapping(ctx, "111111111111", made[0].UUID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another account's mapping: %v, want ErrNotFound", err)
	}

	tests := []struct {
		name   string
		filter store.EventSourceMappingFilter
		want   int
	}{
		{"all", store.EventSourceMappingFilter{}, 3},
		{"function f", store.EventSourceMappingFilter{FunctionName: "f"}, 2},
		{"queue q3", store.EventSourceMappingFilter{EventSourceARN: made[2].EventSourceARN}, 1},
		{"f and q3", store.EventSourceMappingFilter{FunctionName: "f", EventSourceARN: made[2].EventSourceARN}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var all []*store.EventSourceMapping
			marker := ""
			for range 5 {
				page, next, err := st.ListEventSourceMappings(ctx, acct, tt.filter, marker, 1)
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, page...)
				if marker = next; marker == "" {
					break
				}
			}
			if len(all) != tt.want {
				t.Fatalf("listed %d, want %d", len(all), tt.want)
			}
		})
	}

	upd := *made[0]
	upd.BatchSize, upd.Enabled, upd.OnFailure, upd.MaximumRetryAttempts = 100, false, "arn:aws:nats:us-east-1:"+acct+":queue/dlq", 3
	if err := st.UpdateEventSourceMapping(ctx, &upd); err != nil {
		t.Fatal(err)
	}
	if upd.BatchSize != 100 || upd.Enabled || upd.OnFailure == "" || upd.QueueName != "q1" || !upd.LastModified.After(made[0].LastModified) {
		t.Fatalf("updated %+v", upd)
	}
	if err := st.SetEventSourceMappingResult(ctx, made[0].UUID, store.ResultOK); err != nil {
		t.Fatal(err)
	}
	all, err := st.AllEventSourceMappings(ctx)
	if err != nil || len(all) != 3 {
		t.Fatalf("All = %d, %v", len(all), err)
	}

	del, err := st.DeleteEventSourceMapping(ctx, acct, made[0].UUID)
	if err != nil || del.LastProcessingResult != store.ResultOK {
		t.Fatalf("Delete = %+v, %v", del, err)
	}
	if _, err := st.DeleteEventSourceMapping(ctx, acct, made[0].UUID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if err := st.DeleteFunction(ctx, acct, "g"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetEventSourceMapping(ctx, acct, made[2].UUID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("mapping of a deleted function: %v, want ErrNotFound", err)
	}
}
