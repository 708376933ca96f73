package controller

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// fakeProvisionStore holds configurations of published versions and records status writes.
type fakeProvisionStore struct {
	mu       sync.Mutex
	cfgs     []*store.ProvisionedConfig
	versions map[string]*store.Function // function name → its version 1
	writes   []string                   // status written, in order
	reasons  []string                   // and its reason
}

func (f *fakeProvisionStore) AllProvisionedConfigs(context.Context) ([]*store.ProvisionedConfig, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*store.ProvisionedConfig, len(f.cfgs))
	for i, c := range f.cfgs {
		cp := *c
		out[i] = &cp
	}
	return out, nil
}

func (f *fakeProvisionStore) GetVersion(_ context.Context, _, name string, _ int) (*store.Function, error) {
	if v, ok := f.versions[name]; ok {
		return v, nil
	}
	return nil, store.ErrNotFound
}

func (f *fakeProvisionStore) GetAlias(context.Context, string, string, string) (*store.Alias, error) {
	return nil, store.ErrNotFound
}

func (f *fakeProvisionStore) SetProvisionedStatus(_ context.Context, _, _, _ string, _, allocated int,
	status, reason string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes, f.reasons = append(f.writes, status), append(f.reasons, reason)
	for _, c := range f.cfgs {
		c.Status, c.Allocated = status, allocated
	}
	return true, nil
}

func (f *fakeProvisionStore) written() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.writes...)
}

// provisionFunction is a published version 1 of function name.
func provisionFunction(name string, memoryMB int) *store.Function {
	return &store.Function{AccountID: "000000000000", Name: name, Runtime: "provided.al2023",
		Handler: "bootstrap", MemoryMB: memoryMB, TimeoutSec: 3, EphemeralMB: 512, Architecture: "x86_64",
		PackageType: "Zip", CodeSHA256: "ab12", CodeSize: 1, Version: 1}
}

// A controller that just started has heard only some invokers: during its first heartbeat
// expiry its rounds send no set (which would tear down the unheard invokers' environments) and
// write no status (which would put FAILED or IN_PROGRESS over READY); after it, they do.
func TestProvisionerWarmUp(t *testing.T) {
	const expiry = 7 * time.Second
	tests := []struct {
		name      string
		elapsed   time.Duration // since the provisioner started
		wantSets  int
		wantWrite bool
	}{
		{"just started", 0, 0, false},
		{"one heartbeat later", 2 * time.Second, 0, false},
		{"just before the expiry", expiry - time.Millisecond, 0, false},
		{"after one expiry", expiry, 1, true},
		{"long after", time.Minute, 1, true},
	}
	nc := testenv.Connect(t, testenv.NATS(t).ClientURL())
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &fakeProvisionStore{versions: map[string]*store.Function{"web": provisionFunction("web", 1024)},
				cfgs: []*store.ProvisionedConfig{{AccountID: "000000000000", FunctionName: "web", Qualifier: "1",
					Requested: 4, Allocated: 4, Status: function.ProvisionedReady}}}
			c := &Controller{cfg: Config{ID: "c1", Provisioning: st, Region: "us-east-1", HeartbeatExpiry: expiry},
				log: zaptest.NewLogger(t), nc: nc, ledger: newLedger(10, expiry, zaptest.NewLogger(t))}
			start := time.Now()
			c.prov = &provisioner{wake: make(chan struct{}, 1), started: start}
			now := start.Add(tt.elapsed)
			// Only i1 heard so far, with room for 2 of the 4 environments (the others are on
			// invokers this controller has not heard yet).
			id := "i" + strconv.Itoa(i)
			var mu sync.Mutex
			got := 0
			sub, err := nc.Subscribe(msg.InvokerProvisionSubject(id), func(m *nats.Msg) {
				mu.Lock()
				got++
				mu.Unlock()
				b, _ := json.Marshal(msg.ProvisionStatus{InvokerID: id})
				_ = m.Respond(b)
			})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = sub.Unsubscribe() }()
			c.ledger.heartbeat(msg.Heartbeat{InvokerID: id, Instance: "x", CapacityMB: 2048, IdleByKey: map[string]int{}}, now)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := c.provisionRound(ctx, now); err != nil {
				t.Fatal(err)
			}
			mu.Lock() // the round waited for the answers
			n := got
			mu.Unlock()
			if n != tt.wantSets {
				t.Errorf("sets sent: %d, want %d", n, tt.wantSets)
			}
			if w := st.written(); (len(w) > 0) != tt.wantWrite {
				t.Errorf("status writes %v, want a write: %v", w, tt.wantWrite)
			}
			// Once it writes: the one invoker heard has room for 2 of the 4 environments.
			if tt.wantWrite && (st.writes[0] != function.ProvisionedFailed ||
				st.reasons[0] != "The invokers have no room for 2 of the 4 provisioned environments.") {
				t.Errorf("status %s %q, want FAILED for want of room", st.writes[0], st.reasons[0])
			}
		})
	}
}
