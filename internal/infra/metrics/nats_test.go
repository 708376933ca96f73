package metrics_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lambdock/lambdock/internal/infra/metrics"
	"github.com/lambdock/lambdock/internal/testsupport/promtest"
)

// TestNATSCollector reads a real connection's statistics at scrape time.
func TestNATSCollector(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(30 * time.Second) {
		t.Fatal("NATS not ready")
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewNATSCollector(nc))
	for range 3 {
		if err := nc.Publish("x", []byte("hello")); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	got := promtest.Values(t, reg)
	for key, want := range map[string]float64{"lambdock_nats_connected": 1, "lambdock_nats_messages_total/out": 3,
		"lambdock_nats_bytes_total/out": 15, "lambdock_nats_reconnects_total": 0} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
	nc.Close()
	if v := promtest.Values(t, reg)["lambdock_nats_connected"]; v != 0 {
		t.Errorf("lambdock_nats_connected after Close = %v, want 0", v)
	}
}
