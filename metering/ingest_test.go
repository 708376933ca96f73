package metering_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/infra/metrics"
	"github.com/lambdock/lambdock/internal/infra/pgserver"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
	"github.com/lambdock/lambdock/metering"
)

// startWriter runs a Writer with cfg until the test ends.
func startWriter(t *testing.T, js jetstream.JetStream, st metering.UsageStore, log *zap.Logger, cfg metering.WriterConfig) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- metering.NewWriter(js, st, log, cfg).Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Writer.Run: %v", err)
		}
	})
}

func hourlyRows(t *testing.T, st *store.Store, account string) map[string]int64 {
	t.Helper()
	rows, err := st.UsageHourly(context.Background(), store.UsageFilter{AccountID: account,
		From: time.Now().Add(-48 * time.Hour), To: time.Now().Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Function+"/throttles"] += r.Throttles
		out[r.Function+"/requests"] += r.Requests
	}
	return out
}

// TestThrottlesCountedOncePerRecord publishes throttle records (one of them twice under
// different stream message ids, as a redelivery after a lost ack would present it) beside usage
// records, and checks the aggregates add each record's counts once.
func TestThrottlesCountedOncePerRecord(t *testing.T) {
	ns := testenv.NATS(t)
	js := jetStream(t, ns.ClientURL())
	st := openStore(t, testenv.Postgres(t))
	reg := metrics.New()
	m, err := metering.NewMetrics(reg.Registerer())
	if err != nil {
		t.Fatal(err)
	}
	startWriter(t, js, st, zaptest.NewLogger(t), metering.WriterConfig{Metrics: m})
	const account = "111111111111"
	hour := time.Now().UTC().Truncate(time.Hour)
	ctx := context.Background()
	publish := func(rec msg.Throttles, msgID string) {
		if _, err := js.Publish(ctx, msg.ThrottlesSubject("ctl1"), msg.Encode(rec), jetstream.WithMsgID(msgID)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		recs  []msg.Throttles
		msgID []string
	}{
		{"one", []msg.Throttles{{ID: "t1", Counts: []msg.ThrottleCount{{AccountID: account, Function: "f", Hour: hour, Count: 3}}}}, []string{"m1"}},
		{"redelivered", []msg.Throttles{{ID: "t1", Counts: []msg.ThrottleCount{{AccountID: account, Function: "f", Hour: hour, Count: 3}}}}, []string{"m1-again"}},
		{"two functions", []msg.Throttles{{ID: "t2", Counts: []msg.ThrottleCount{
			{AccountID: account, Function: "f", Hour: hour, Count: 2},
			{AccountID: account, Function: "g", Hour: hour.Add(time.Minute), Count: 5}}}}, []string{"m2"}},
	}
	for _, tt := range tests {
		for i, rec := range tt.recs {
			publish(rec, tt.msgID[i])
		}
	}
	u := record("f", 1)
	u.AccountID = account
	if err := metering.NewPublisher(js, zaptest.NewLogger(t), nil).Publish(ctx, "inv", u); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, js)
	got := hourlyRows(t, st, account)
	want := map[string]int64{"f/throttles": 5, "f/requests": 1, "g/throttles": 5, "g/requests": 0}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	daily, err := st.UsageDaily(ctx, store.UsageFilter{AccountID: account, From: hour.Add(-48 * time.Hour), To: hour.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var dailyThrottles int64
	for _, r := range daily {
		dailyThrottles += r.Throttles
	}
	if dailyThrottles != 10 {
		t.Errorf("daily throttles = %d, want 10", dailyThrottles)
	}
	if n := metricValue(t, reg, "lambdock_usage_records_written_total"); n != 1 {
		t.Errorf("lambdock_usage_records_written_total = %v, want 1", n)
	}
}

// TestBacklogAlert lets records pile up with PostgreSQL unreachable and checks the warning and
// metrics, then the recovery.
func TestBacklogAlert(t *testing.T) {
	ns := testenv.NATS(t)
	js := jetStream(t, ns.ClientURL())
	pg := testenv.PostgresServer(t)
	st := openStore(t, pg.URL())
	if err := pg.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	pub := metering.NewPublisher(js, zaptest.NewLogger(t), nil)
	publishAll(t, pub, "backlog", 30) // 30 distinct records (every third published twice)

	core, logs := observer.New(zap.InfoLevel)
	reg := metrics.New()
	m, err := metering.NewMetrics(reg.Registerer())
	if err != nil {
		t.Fatal(err)
	}
	startWriter(t, js, st, zap.New(core), metering.WriterConfig{BacklogAlert: 20,
		BacklogInterval: 50 * time.Millisecond, Metrics: m})
	waitFor(t, "the backlog alert", func(context.Context) (bool, error) {
		return metricValue(t, reg, "lambdock_usage_backlog_alert") == 1 && logs.FilterMessageSnippet("above the alert threshold").Len() == 1, nil
	})
	if b := metricValue(t, reg, "lambdock_usage_backlog_records"); b < 20 {
		t.Errorf("backlog gauge %v, want > 20", b)
	}
	pg2, err := pgserver.Start(context.Background(), pg.Dir(), zaptest.NewLogger(t), pgserver.NoSync())
	if err != nil {
		t.Fatalf("restart PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = pg2.Stop(context.Background()) })
	waitDrained(t, js)
	waitFor(t, "the recovery", func(context.Context) (bool, error) {
		return metricValue(t, reg, "lambdock_usage_backlog_alert") == 0 && logs.FilterMessageSnippet("back under").Len() == 1, nil
	})
	if n := logs.FilterMessageSnippet("above the alert threshold").Len(); n != 1 {
		t.Errorf("%d backlog warnings, want 1", n)
	}
	if metricValue(t, reg, "lambdock_usage_write_errors_total") == 0 {
		t.Error("lambdock_usage_write_errors_total stayed 0 while PostgreSQL was down")
	}
	wantCount(t, st, "backlog", 30)
	out, err := testutil.GatherAndCount(reg.Gatherer(), "lambdock_usage_write_seconds")
	if err != nil || out != 1 {
		t.Errorf("write latency histogram: %d series, %v", out, err)
	}
}

// metricValue is the value of the registry's metric name (a gauge or counter without labels).
func metricValue(t *testing.T, reg *metrics.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name || len(f.GetMetric()) == 0 {
			continue
		}
		mt := f.GetMetric()[0]
		if g := mt.GetGauge(); g != nil {
			return g.GetValue()
		}
		return mt.GetCounter().GetValue()
	}
	t.Fatalf("no metric %s", name)
	return 0
}
