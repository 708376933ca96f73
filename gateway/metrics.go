package gateway

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lambdock/lambdock/internal/infra/metrics"
)

// Operation names of the requests outside the API route table.
const (
	opHealth      = "Health"            // /healthz, /readyz
	opMetrics     = "Metrics"           // /metrics
	opFunctionURL = "InvokeFunctionUrl" // function URL requests
)

// statusClasses are the values of the code label, by status / 100 (index 0: anything else).
var statusClasses = [...]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

// gatewayMetrics are the gateway's collectors:
//
//	lambdock_http_requests_total{operation,code}       counter: requests by operation (the route table's) and status class
//	lambdock_http_request_duration_seconds{operation}  histogram: time to answer, by operation
//
// A nil *gatewayMetrics records nothing.
type gatewayMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// newGatewayMetrics registers the gateway's collectors on reg; nil reg: none.
func newGatewayMetrics(reg prometheus.Registerer) (*gatewayMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &gatewayMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lambdock_http_requests_total",
			Help: "HTTP requests the gateway answered, by operation and status class (2xx, 4xx, …)."},
			[]string{"operation", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lambdock_http_request_duration_seconds",
			Help:    "Time the gateway took to answer a request (for invocations: the whole invocation), by operation.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}, []string{"operation"}),
	}
	if err := metrics.RegisterAll(reg, m.requests, m.duration); err != nil {
		return nil, err
	}
	return m, nil
}

// count returns the middleware that counts the requests of operation op (its label children
// resolved once, here), or nil without metrics.
func (m *gatewayMetrics) count(op string) gin.HandlerFunc {
	if m == nil {
		return nil
	}
	var byClass [len(statusClasses)]prometheus.Counter
	for i, class := range statusClasses {
		byClass[i] = m.requests.WithLabelValues(op, class)
	}
	took := m.duration.WithLabelValues(op)
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		took.Observe(time.Since(start).Seconds())
		class := c.Writer.Status() / 100
		if class < 1 || class >= len(byClass) {
			class = 0
		}
		byClass[class].Inc()
	}
}

// with prepends the counting middleware of op to handlers, when there are metrics.
func (m *gatewayMetrics) with(op string, handlers ...gin.HandlerFunc) []gin.HandlerFunc {
	if h := m.count(op); h != nil {
		return append([]gin.HandlerFunc{h}, handlers...)
	}
	return handlers
}

// serveMetrics is GET /metrics: the process's metrics (Config.MetricsHandler) for peers that
// metricsAllowed admits, else 403 with a plain message.
func (g *Gateway) serveMetrics(c *gin.Context) {
	if !metricsAllowed(c.Request.RemoteAddr, c.GetHeader("Authorization"), g.cfg.MetricsToken) {
		c.Header("Content-Type", "text/plain; charset=utf-8")
		c.String(http.StatusForbidden, "Forbidden: /metrics is served to loopback peers, "+
			"and to others with Authorization: Bearer <the token of --metrics-token-file>.\n")
		return
	}
	g.cfg.MetricsHandler.ServeHTTP(c.Writer, c.Request)
}

// metricsAllowed decides who may read /metrics: a peer on a loopback address (remoteAddr,
// host:port), or any peer whose authorization header is "Bearer <token>", compared in constant
// time. With an empty token only loopback peers are allowed.
func metricsAllowed(remoteAddr, authorization, token string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true
	}
	if token == "" {
		return false
	}
	got, ok := strings.CutPrefix(authorization, "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}
