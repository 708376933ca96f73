package controller_test

import (
	"context"
	"encoding/json"
	"github.com/lambdock/lambdock/internal/contract/function"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/controller"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// provisionInvoker is an invoker's provisioning protocol on NATS: it heartbeats, keeps the
// last ProvisionSet it was sent and answers each with every target ready, or failed for a
// function named in failing.
type provisionInvoker struct {
	id      string
	failing string
	mu      sync.Mutex
	set     msg.ProvisionSet
	sets    int
}

// start subscribes to the invoker's provision subject and heartbeats until the test ends.
func (p *provisionInvoker) start(t *testing.T, nc *nats.Conn) {
	t.Helper()
	sub, err := nc.Subscribe(msg.InvokerProvisionSubject(p.id), func(m *nats.Msg) {
		var set msg.ProvisionSet
		if err := json.Unmarshal(m.Data, &set); err != nil {
			t.Errorf("bad set: %v", err)
			return
		}
		p.mu.Lock()
		p.set, p.sets = set, p.sets+1
		p.mu.Unlock()
		st := msg.ProvisionStatus{InvokerID: p.id}
		for _, tg := range set.Targets {
			ts := msg.ProvisionTargetStatus{Key: tg.Key, Function: tg.Function.PoolKey(), Ready: tg.Count}
			if tg.Function.Name == p.failing {
				ts.Ready, ts.Failed = 0, "Runtime.ExitError: init failed"
			}
			st.Targets = append(st.Targets, ts)
		}
		b, _ := json.Marshal(st)
		_ = m.Respond(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			_ = nc.Publish(msg.SubjectInvokerHeartbeat, msg.Encode(msg.Heartbeat{InvokerID: p.id, Instance: p.id + "-1",
				CapacityMB: 4096, IdleByKey: map[string]int{}, Reconcile: true}))
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
		_ = sub.Unsubscribe()
	})
}

// counts is the environments of each configuration key and pool key in the last set.
func (p *provisionInvoker) counts() (map[string]int, map[string]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	byKey, byPool := map[string]int{}, map[string]int{}
	for _, tg := range p.set.Targets {
		byKey[tg.Key] += tg.Count
		byPool[tg.Function.PoolKey()] += tg.Count
	}
	return byKey, byPool
}

// TestProvisioner runs the controller's provisioner on a real store and NATS: an alias with
// routing splits its environments between its versions over two invokers, the status goes to
// READY with all allocated, an invoker's failure makes a configuration FAILED with its reason,
// and a deleted configuration leaves the sets.
func TestProvisioner(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := store.Open(ctx, testenv.Postgres(t), zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	const acct = tenant.AdminAccountID
	for _, name := range []string{"web", "bad"} {
		f := &store.Function{AccountID: acct, Name: name, Runtime: "provided.al2023", Role: "arn:aws:iam::000000000000:role/r",
			Handler: "bootstrap", MemoryMB: 128, TimeoutSec: 3, EphemeralMB: 512, Architecture: "x86_64",
			PackageType: "Zip", CodeSHA256: "ab12", CodeSize: 1}
		if err := st.CreateFunction(ctx, f); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.PublishVersion(ctx, acct, name, store.PublishInput{}); err != nil {
			t.Fatal(err)
		}
	}
	f, err := st.GetFunction(ctx, acct, "web")
	if err != nil {
		t.Fatal(err)
	}
	f.CodeSHA256 = "cd34"
	if err := st.UpdateFunction(ctx, f); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.PublishVersion(ctx, acct, "web", store.PublishInput{}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAlias(ctx, &store.Alias{AccountID: acct, FunctionName: "web", Name: "prod", FunctionVersion: "1",
		Weights: map[string]float64{"2": 0.5}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*store.ProvisionedConfig{{AccountID: acct, FunctionName: "web", Qualifier: "prod", Requested: 4},
		{AccountID: acct, FunctionName: "bad", Qualifier: "1", Requested: 1}} {
		if _, err := st.PutProvisionedConfig(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	nc := testenv.Connect(t, testenv.NATS(t).ClientURL())
	invokers := []*provisionInvoker{{id: "i1", failing: "bad"}, {id: "i2", failing: "bad"}}
	for _, p := range invokers {
		p.start(t, nc)
	}
	ctrl, err := controller.New(ctx, controller.Config{NATS: nc, Store: st, Provisioning: st,
		ProvisionInterval: 100 * time.Millisecond, HeartbeatExpiry: time.Second}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), waitLimit)
		defer ccancel()
		_ = ctrl.Close(cctx)
	})

	v1, _ := st.GetVersion(ctx, acct, "web", 1)
	v2, _ := st.GetVersion(ctx, acct, "web", 2)
	pool := func(f *store.Function) string {
		s := f.Spec()
		s.Region = "us-east-1" // the gateway's
		return s.PoolKey()
	}
	prodKey, badKey := msg.ProvisionKey(acct, "web", "prod"), msg.ProvisionKey(acct, "bad", "1")
	eventually(t, "the sets and statuses of the configurations", func() bool {
		byKey, byPool := map[string]int{}, map[string]int{}
		for _, p := range invokers {
			k, pl := p.counts()
			for x, n := range k {
				byKey[x] += n
			}
			for x, n := range pl {
				byPool[x] += n
			}
		}
		if byKey[prodKey] != 4 || byKey[badKey] != 1 || byPool[pool(v1)] != 2 || byPool[pool(v2)] != 2 {
			return false
		}
		prod, err := st.GetProvisionedConfig(ctx, acct, "web", "prod")
		if err != nil || prod.Status != function.ProvisionedReady || prod.Allocated != 4 {
			return false
		}
		bad, err := st.GetProvisionedConfig(ctx, acct, "bad", "1")
		return err == nil && bad.Status == function.ProvisionedFailed && bad.StatusReason == "Runtime.ExitError: init failed"
	})

	if err := st.DeleteProvisionedConfig(ctx, acct, "web", "prod"); err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish(msg.SubjectFunctionChanged, msg.Encode(msg.FunctionChanged{AccountID: acct, Name: "web"})); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted configuration to leave the sets", func() bool {
		for _, p := range invokers {
			if k, _ := p.counts(); k[prodKey] != 0 {
				return false
			}
		}
		return true
	})
	for _, p := range invokers {
		p.mu.Lock()
		n := p.sets
		p.mu.Unlock()
		if n == 0 {
			t.Errorf("invoker %s got no set", p.id)
		}
	}
}
