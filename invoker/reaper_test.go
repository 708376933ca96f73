package invoker

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestReaperRemovesConcurrently(t *testing.T) {
	const expired = 2 * removeParallel
	r := &fakeRemover{together: removeParallel}
	inv := testInvoker(t, 8192, 50*time.Millisecond, r)
	long := time.Now().Add(-time.Hour)
	for i := range expired {
		addIdle(t, inv, specOf(fmt.Sprint("f", i), 128, "x"), fmt.Sprint("e", i), long)
	}
	inv.reaperDone = make(chan struct{})
	ctx, stop := context.WithCancel(context.Background())
	go inv.reap(ctx)
	t.Cleanup(func() {
		stop()
		<-inv.reaperDone
	})

	waitFor(t, "every expired environment is removed", func() bool { return inv.Stats().UsedMB == 0 })
	calls, most := r.stats()
	if calls != expired || most != removeParallel {
		t.Errorf("%d removals, at most %d at once; want %d, at most %d at once", calls, most, expired, removeParallel)
	}
}
