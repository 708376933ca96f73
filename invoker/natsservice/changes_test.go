package natsservice_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/invoker/natsservice"
)

// deletionsInvoker records the deleted functions it is told about.
type deletionsInvoker struct {
	stubInvoker
	deleted chan [2]string
}

func (d deletionsInvoker) FunctionDeleted(_ context.Context, accountID, name string) {
	d.deleted <- [2]string{accountID, name}
}

// VersionDeleted records a deleted version as name:version.
func (d deletionsInvoker) VersionDeleted(_ context.Context, accountID, name, version string) {
	d.deleted <- [2]string{accountID, name + ":" + version}
}

// TestDeletedFunctionReachesTheInvoker: a gateway's deletion event makes the invoker remove the
// function's (or the deleted version's) containers; other changes do not.
func TestDeletedFunctionReachesTheInvoker(t *testing.T) {
	ctx := context.Background()
	nc := testenv.Connect(t, testenv.NATS(t).ClientURL())
	inv := deletionsInvoker{deleted: make(chan [2]string, 4)}
	svc, err := natsservice.New(ctx, natsservice.Config{ID: "inv", NATS: nc, Invoker: inv, Usage: discardUsage{}},
		zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close(context.Background()) })
	for _, ch := range []msg.FunctionChanged{
		{AccountID: "111122223333", Name: "updated"}, // a change, not a deletion
		{AccountID: "111122223333"},                  // an account's limit
		{AccountID: "111122223333", Name: "gone", Deleted: true},
		{AccountID: "111122223333", Name: "versioned", Version: "3"}, // version 3 deleted
	} {
		if err := nc.Publish(msg.SubjectFunctionChanged, msg.Encode(ch)); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range [][2]string{{"111122223333", "gone"}, {"111122223333", "versioned:3"}} {
		select {
		case got := <-inv.deleted:
			if got != want {
				t.Fatalf("deleted (%q, %q); want (%q, %q) only", got[0], got[1], want[0], want[1])
			}
		case <-time.After(waitLimit):
			t.Fatalf("the deletion of %s never reached the invoker", want[1])
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-inv.deleted:
		t.Fatalf("unexpected FunctionDeleted(%q, %q)", got[0], got[1])
	case <-time.After(100 * time.Millisecond):
	}
}
