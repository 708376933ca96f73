package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMetricsAllowed: loopback peers read /metrics freely; others only with the bearer token.
func TestMetricsAllowed(t *testing.T) {
	const token = "s3cret-token"
	tests := []struct {
		name, remote, auth, token string
		want                      bool
	}{
		{"IPv4 loopback", "127.0.0.1:5000", "", token, true},
		{"other 127/8 address", "127.3.4.5:5000", "", token, true},
		{"IPv6 loopback", "[::1]:5000", "", token, true},
		{"loopback without a configured token", "127.0.0.1:1", "", "", true},
		{"remote without a header", "192.0.2.7:5000", "", token, false},
		{"remote with the token", "192.0.2.7:5000", "Bearer " + token, token, true},
		{"remote IPv6 with the token", "[2001:db8::1]:443", "Bearer " + token, token, true},
		{"remote with a wrong token", "192.0.2.7:5000", "Bearer nope", token, false},
		{"remote with a prefix of the token", "192.0.2.7:5000", "Bearer s3cret", token, false},
		{"remote with the token and more", "192.0.2.7:5000", "Bearer " + token + "x", token, false},
		{"remote with another scheme", "192.0.2.7:5000", "Basic " + token, token, false},
		{"remote with the bare token", "192.0.2.7:5000", token, token, false},
		{"remote when no token is configured", "192.0.2.7:5000", "Bearer ", "", false},
		{"unspecified address is not loopback", "0.0.0.0:5000", "", token, false},
		{"IPv4-mapped loopback", "[::ffff:127.0.0.1]:5000", "", token, true},
		{"garbage peer", "not-an-address", "", token, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := metricsAllowed(tt.remote, tt.auth, tt.token); got != tt.want {
				t.Errorf("metricsAllowed(%q, %q) = %v, want %v", tt.remote, tt.auth, got, tt.want)
			}
		})
	}
}

// TestServeMetrics: the 403 is plain text and names no token; an allowed peer gets the registry.
func TestServeMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "lambdock_test_total", Help: "test"})
	reg.MustRegister(c)
	g := &Gateway{cfg: Config{MetricsToken: "tok", MetricsHandler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})}}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.GET("/metrics", g.serveMetrics)
	tests := []struct {
		remote, auth string
		want         int
	}{
		{"203.0.113.9:1234", "", http.StatusForbidden},
		{"203.0.113.9:1234", "Bearer tok", http.StatusOK},
		{"127.0.0.1:1234", "", http.StatusOK},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.RemoteAddr = tt.remote
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		if w.Code != tt.want {
			t.Errorf("%s %q: %d, want %d", tt.remote, tt.auth, w.Code, tt.want)
		}
		switch body := w.Body.String(); w.Code {
		case http.StatusForbidden:
			if ct := w.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("403 Content-Type %q", ct)
			}
			if strings.Contains(body, "tok\n") || strings.Contains(body, "lambdock_test_total") {
				t.Errorf("403 body %q", body)
			}
		case http.StatusOK:
			if !strings.Contains(body, "lambdock_test_total 0") {
				t.Errorf("200 body without the metric: %q", body)
			}
		}
	}
}

// TestCountRequests: requests are counted by operation and status class, with their duration.
func TestCountRequests(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newGatewayMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	status := http.StatusOK
	e.GET("/x", m.with("GetX", func(c *gin.Context) { c.Status(status) })...)
	for _, s := range []int{200, 200, 404, 429, 500, 204} {
		status = s
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
	}
	for class, want := range map[string]float64{"2xx": 3, "4xx": 2, "5xx": 1, "3xx": 0} {
		if got := testutil.ToFloat64(m.requests.WithLabelValues("GetX", class)); got != want {
			t.Errorf("GetX %s = %v, want %v", class, got, want)
		}
	}
	if n := testutil.CollectAndCount(m.duration, "lambdock_http_request_duration_seconds"); n != 1 {
		t.Errorf("%d duration series, want 1", n)
	}
	var none *gatewayMetrics
	if hs := none.with("GetX", func(*gin.Context) {}); len(hs) != 1 {
		t.Errorf("without metrics: %d handlers, want 1", len(hs))
	}
}

// BenchmarkCountRequests is what counting costs a request (the children resolved at start).
func BenchmarkCountRequests(b *testing.B) {
	m, err := newGatewayMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	for _, bc := range []struct {
		name     string
		handlers []gin.HandlerFunc
	}{
		{"without", []gin.HandlerFunc{func(c *gin.Context) { c.Status(http.StatusOK) }}},
		{"with", m.with("GetX", func(c *gin.Context) { c.Status(http.StatusOK) })},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := gin.New()
			e.GET("/x", bc.handlers...)
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				e.ServeHTTP(w, req)
			}
		})
	}
}

// TestURLHostID: which Hosts are host-routed function URLs (counted as InvokeFunctionUrl).
func TestURLHostID(t *testing.T) {
	g := &Gateway{cfg: Config{URLDomain: "lambda-url.example.com"}}
	tests := []struct {
		host, id string
		ok       bool
	}{
		{"abc123.lambda-url.example.com", "abc123", true},
		{"ABC123.Lambda-URL.example.com:8443", "abc123", true},
		{"lambda-url.example.com", "", false},
		{"a.b.lambda-url.example.com", "", false},
		{"127.0.0.1:8070", "", false},
		{"abc123.other.example.com", "", false},
	}
	for _, tt := range tests {
		if id, ok := g.urlHostID(tt.host); id != tt.id || ok != tt.ok {
			t.Errorf("urlHostID(%q) = %q, %v; want %q, %v", tt.host, id, ok, tt.id, tt.ok)
		}
	}
	if _, ok := (&Gateway{}).urlHostID("abc.lambda-url.example.com"); ok {
		t.Error("a host-routed URL without URLDomain")
	}
}
