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

// TestDeletedFunctionReachesTheInvoker: a gateway's deletion event makes the invoker remove the
// function's containers; other changes do not.
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
	} {
		if err := nc.Publish(msg.SubjectFunctionChanged, msg.Encode(ch)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case got := <-inv.deleted:
		if got != [2]string{"111122223333", "gone"} {
			t.Fatalf("FunctionDeleted(%q, %q); want the deleted function only", got[0], got[1])
		}
	case <-time.After(waitLimit):
		t.Fatal("the deletion never reached the invoker")
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
