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
	"go.uber.org/zap"
)

// TestMetricsAllowed: with a token every peer needs it; without one, loopback peers that no proxy
// relayed.
func TestMetricsAllowed(t *testing.T) {
	const token = "s3cret-token"
	tests := []struct {
		name, remote, auth, token string
		relayed                   string // a proxy header the request carries
		want                      bool
	}{
		{"IPv4 loopback, token configured, none sent", "127.0.0.1:5000", "", token, "", false},
		{"IPv6 loopback, token configured, none sent", "[::1]:5000", "", token, "", false},
		{"loopback with the token", "127.0.0.1:5000", "Bearer " + token, token, "", true},
		{"loopback with a wrong token", "127.0.0.1:5000", "Bearer nope", token, "", false},
		{"proxied loopback with the token", "127.0.0.1:5000", "Bearer " + token, token, "X-Forwarded-For", true},
		{"loopback without a configured token", "127.0.0.1:1", "", "", "", true},
		{"other 127/8 address without a token", "127.3.4.5:5000", "", "", "", true},
		{"IPv6 loopback without a token", "[::1]:5000", "", "", "", true},
		{"IPv4-mapped loopback without a token", "[::ffff:127.0.0.1]:5000", "", "", "", true},
		{"loopback via Forwarded", "127.0.0.1:5000", "", "", "Forwarded", false},
		{"loopback via X-Forwarded-For", "127.0.0.1:5000", "", "", "X-Forwarded-For", false},
		{"loopback via X-Real-IP", "127.0.0.1:5000", "", "", "X-Real-IP", false},
		{"loopback via X-Forwarded-Host", "[::1]:5000", "", "", "X-Forwarded-Host", false},
		{"loopback via X-Forwarded-Proto", "127.0.0.1:5000", "", "", "X-Forwarded-Proto", false},
		{"remote without a header", "192.0.2.7:5000", "", token, "", false},
		{"remote with the token", "192.0.2.7:5000", "Bearer " + token, token, "", true},
		{"remote IPv6 with the token", "[2001:db8::1]:443", "Bearer " + token, token, "", true},
		{"remote with a wrong token", "192.0.2.7:5000", "Bearer nope", token, "", false},
		{"remote with a prefix of the token", "192.0.2.7:5000", "Bearer s3cret", token, "", false},
		{"remote with the token and more", "192.0.2.7:5000", "Bearer " + token + "x", token, "", false},
		{"remote with another scheme", "192.0.2.7:5000", "Basic " + token, token, "", false},
		{"remote with the bare token", "192.0.2.7:5000", token, token, "", false},
		{"remote when no token is configured", "192.0.2.7:5000", "Bearer ", "", "", false},
		{"unspecified address is not loopback", "0.0.0.0:5000", "", "", "", false},
		{"garbage peer", "not-an-address", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.auth != "" {
				h.Set("Authorization", tt.auth)
			}
			if tt.relayed != "" {
				h.Set(tt.relayed, "203.0.113.9")
			}
			if got := metricsAllowed(tt.remote, h, tt.token); got != tt.want {
				t.Errorf("metricsAllowed(%q, %v) = %v, want %v", tt.remote, h, got, tt.want)
			}
		})
	}
}

// TestServeMetrics: the 403 is plain text and names no token; an allowed peer gets the registry
// (with a token configured, loopback peers need it too).
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
		{"127.0.0.1:1234", "", http.StatusForbidden},
		{"127.0.0.1:1234", "Bearer tok", http.StatusOK},
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
	// A handler that panics is counted as the 500 that recoverPanics answers.
	g := &Gateway{log: zap.NewNop()}
	e.Use(g.recoverPanics)
	e.GET("/panic", m.with("Panic", func(*gin.Context) { panic("boom") })...)
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/panic", nil))
	if w.Code != http.StatusInternalServerError {
		t.Errorf("panic answered %d", w.Code)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("Panic", "5xx")); got != 1 {
		t.Errorf("Panic 5xx = %v, want 1", got)
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
