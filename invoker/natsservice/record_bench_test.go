package natsservice_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/invoker/natsservice"
	"github.com/lambdock/lambdock/metering"
)

// afterReply publishes in the background and returns at once: the order before record-first
// (the reply went first, the record after it).
type afterReply struct {
	pub *metering.Publisher
	wg  *sync.WaitGroup
}

func (a afterReply) Publish(ctx context.Context, id string, u msg.Usage) error {
	a.wg.Go(func() { _ = a.pub.Publish(context.WithoutCancel(ctx), id, u) })
	return nil
}

// BenchmarkRecordFirst measures what storing the usage record before the reply costs a warm
// invocation at the invoker's NATS service (the stub invoker answers at once, so the service's
// own path is all that is measured): request → reply latency, p50 and p99, with the record
// stored in JetStream first ("record-first"), published after the reply ("record-after", the
// order before), and not published at all ("no-record").
func BenchmarkRecordFirst(b *testing.B) {
	ns := testenv.NATS(b)
	nc := testenv.Connect(b, ns.ClientURL())
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := metering.EnsureStream(ctx, js); err != nil {
		b.Fatal(err)
	}
	pub := metering.NewPublisher(js, zap.NewNop(), nil)
	var background sync.WaitGroup
	defer background.Wait()
	for _, bc := range []struct {
		name  string
		usage natsservice.UsagePublisher
	}{
		{"no-record", discardUsage{}},
		{"record-after", afterReply{pub: pub, wg: &background}},
		{"record-first", pub},
	} {
		b.Run(bc.name, func(b *testing.B) {
			id := "bench-" + bc.name
			svc, err := natsservice.New(ctx, natsservice.Config{ID: id, NATS: nc, Invoker: stubInvoker{}, Usage: bc.usage},
				zap.NewNop())
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = svc.Close(context.Background()) }()
			lat := make([]time.Duration, 0, b.N)
			n := 0
			for b.Loop() {
				n++
				m := msg.EncodeInvocation(msg.Invocation{RequestID: bc.name + "-" + time.Now().Format("150405.000000000"),
					Payload: []byte(`{}`), Function: function.Spec{Name: "f", CodeSHA256: "00"}})
				m.Subject = msg.InvokerSubject(id)
				t0 := time.Now()
				if _, err := nc.RequestMsgWithContext(ctx, m); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds()), "p99-µs")
		})
	}
}
