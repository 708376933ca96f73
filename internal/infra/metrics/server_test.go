package metrics_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/infra/metrics"
)

func TestServeExposesRegisteredMetrics(t *testing.T) {
	reg := metrics.New()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "lambdock_test_total", Help: "test"})
	reg.Registerer().MustRegister(c)
	c.Add(3)
	srv, err := metrics.Serve(context.Background(), "127.0.0.1:0", reg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	tests := []struct {
		path, want string
		status     int
	}{
		{"/metrics", "lambdock_test_total 3", http.StatusOK},
		{"/metrics", "go_goroutines", http.StatusOK},
		{"/other", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		resp, err := http.Get("http://" + srv.Addr().String() + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
			t.Errorf("GET %s: %d, body lacks %q:\n%.300s", tt.path, resp.StatusCode, tt.want, body)
		}
	}
}
