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

// numStatusClasses is the number of values of the code label.
const numStatusClasses = 6

// statusClasses returns the values of the code label, by status / 100 (index 0: anything else).
func statusClasses() [numStatusClasses]string {
	return [...]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}
}

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
	var byClass [numStatusClasses]prometheus.Counter
	for i, class := range statusClasses() {
		byClass[i] = m.requests.WithLabelValues(op, class)
	}
	took := m.duration.WithLabelValues(op)
	return func(c *gin.Context) {
		start := time.Now()
		returned := false
		// Deferred, so a request whose handler panics is counted too: recoverPanics, outside this
		// middleware, answers it with a 500 once the panic has passed through here.
		defer func() {
			took.Observe(time.Since(start).Seconds())
			class := c.Writer.Status() / 100
			if !returned && !c.Writer.Written() {
				class = 5
			}
			if class < 1 || class >= len(byClass) {
				class = 0
			}
			byClass[class].Inc()
		}()
		c.Next()
		returned = true
	}
}

// with prepends the counting middleware of op to handlers, when there are metrics.
func (m *gatewayMetrics) with(op string, handlers ...gin.HandlerFunc) []gin.HandlerFunc {
	if h := m.count(op); h != nil {
		return append([]gin.HandlerFunc{h}, handlers...)
	}
	return handlers
}

// serveMetrics is GET /metrics: the process's metrics (Config.MetricsHandler) for requests that
// metricsAllowed admits, else 403 with a plain message.
func (g *Gateway) serveMetrics(c *gin.Context) {
	if !metricsAllowed(c.Request.RemoteAddr, c.Request.Header, g.cfg.MetricsToken) {
		c.Header("Content-Type", "text/plain; charset=utf-8")
		c.String(http.StatusForbidden, "Forbidden: /metrics needs Authorization: Bearer <the token of "+
			"--metrics-token-file>; without a token file it is served only to loopback peers that no "+
			"proxy relayed.\n")
		return
	}
	g.cfg.MetricsHandler.ServeHTTP(c.Writer, c.Request)
}

// proxyHeaders are the request headers a reverse proxy adds when it relays a request: a loopback
// peer that sends one of them is a proxy speaking for someone else.
func proxyHeaders() [11]string {
	return [...]string{"Forwarded", "X-Forwarded-For", "X-Real-IP", "X-Forwarded-Host", "X-Forwarded-Proto",
		"X-Forwarded-Port", "X-Forwarded-Server", "Via", "X-Client-IP", "True-Client-IP", "CF-Connecting-IP"}
}

// metricsAllowed decides who may read /metrics. With a token configured, every peer (loopback
// included) needs the authorization header "Bearer <token>", compared in constant time: a reverse
// proxy on the same host makes every request look like loopback. Without a token, only a peer on a
// loopback address (remoteAddr, host:port) is allowed, and only when the request carries none of
// the proxyHeaders.
func metricsAllowed(remoteAddr string, header http.Header, token string) bool {
	if token != "" {
		got, ok := strings.CutPrefix(header.Get("Authorization"), "Bearer ")
		return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
	}
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return false
	}
	for _, h := range proxyHeaders() {
		if _, relayed := header[http.CanonicalHeaderKey(h)]; relayed {
			return false
		}
	}
	return true
}
