package natsservice_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/invoker"
	"github.com/lambdock/lambdock/invoker/natsservice"
)

// provisionInvoker answers ProvisionSets with one ready environment per target, or fails them
// all with err; its Stats report provisioned environments.
type provisionInvoker struct {
	stubInvoker
	err error
}

func (p provisionInvoker) Provision(_ context.Context, set msg.ProvisionSet) (msg.ProvisionStatus, error) {
	if p.err != nil {
		return msg.ProvisionStatus{}, p.err
	}
	st := msg.ProvisionStatus{InvokerID: "inv"}
	for _, t := range set.Targets {
		st.Targets = append(st.Targets, msg.ProvisionTargetStatus{Key: t.Key, Function: t.Function.PoolKey(), Ready: 1})
	}
	return st, nil
}

func (provisionInvoker) Stats() invoker.Stats {
	return invoker.Stats{CapacityMB: 1024, UsedMB: 256, ProvisionedByKey: map[string]int{"k": 2}, ProvisionedMB: 256,
		ProvisionedIdleByKey: map[string]int{"k": 1}}
}

// A controller's ProvisionSet, sent as a request on the invoker's provision subject, is answered
// with the invoker's ProvisionStatus (every target Failed when the invoker refuses the set), and
// heartbeats report the provisioned environments.
func TestProvisionRequests(t *testing.T) {
	fn := function.Spec{AccountID: "111111111111", Name: "f", Version: "1", CodeSHA256: "00"}
	set := msg.ProvisionSet{ControllerID: "c", Targets: []msg.ProvisionTarget{
		{Key: msg.ProvisionKey("111111111111", "f", "prod"), Function: fn, Count: 3}}}
	for _, tc := range []struct {
		name       string
		err        error
		wantReady  int
		wantFailed string
	}{
		{name: "taken", wantReady: 1},
		{name: "refused", err: errors.New("invoker: closed"), wantFailed: "invoker inv: invoker: closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			nc := testenv.Connect(t, testenv.NATS(t).ClientURL())
			beats := make(chan msg.Heartbeat, 100)
			subscribe(t, nc, msg.SubjectInvokerHeartbeat, beats)
			svc, err := natsservice.New(ctx, natsservice.Config{ID: "inv", NATS: nc, Invoker: provisionInvoker{err: tc.err},
				Usage: discardUsage{}, HeartbeatInterval: 50 * time.Millisecond}, zaptest.NewLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = svc.Close(context.Background()) })
			reply, err := nc.RequestWithContext(ctx, msg.InvokerProvisionSubject("inv"), msg.Encode(set))
			if err != nil {
				t.Fatal(err)
			}
			st, err := msg.Decode[msg.ProvisionStatus](reply.Data)
			if err != nil {
				t.Fatal(err)
			}
			if st.InvokerID != "inv" || len(st.Targets) != 1 || st.Targets[0].Key != set.Targets[0].Key ||
				st.Targets[0].Function != fn.PoolKey() || st.Targets[0].Ready != tc.wantReady ||
				!strings.Contains(st.Targets[0].Failed, tc.wantFailed) || (tc.wantFailed == "") != (st.Targets[0].Failed == "") {
				t.Fatalf("status %+v; want ready %d, failed %q", st, tc.wantReady, tc.wantFailed)
			}
			select {
			case hb := <-beats:
				if hb.ProvisionedByKey["k"] != 2 || hb.ProvisionedMB != 256 || hb.UsedMB != 256 || hb.ProvisionedIdleByKey["k"] != 1 {
					t.Fatalf("heartbeat %+v; want 2 provisioned environments of 256 MB, 1 free", hb)
				}
			case <-ctx.Done():
				t.Fatal("no heartbeat")
			}
		})
	}
}
