package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/testsupport/lambdockdtest"
)

// metricsToken is the bearer token the test gives lambdockd (--metrics-token-file).
const metricsToken = "e2e-metrics-token"

// Invocations the metrics test makes after the first (warm-up) one.
const (
	metricsSuccesses = 3
	metricsErrors    = 2
	metricsThrottles = 4
)

// TestMetricsCountWhatTheTestDid (must-show #2): the gateway's /metrics and --metrics-addr parse
// with the Prometheus text parser, and the invocation, throttle and request counters of a
// function move by exactly the number of successes, function errors and throttles the test
// made. When the host has an address off loopback, the gateway listens there, and its /metrics
// refuses a peer without the bearer token (403) and serves one with it.
func TestMetricsCountWhatTheTestDid(t *testing.T) {
	need(t)
	dir := dataDir(t)
	cfg := newConfig(dir, "inv-"+randomID())
	cfg.MetricsAddr = "127.0.0.1:0"
	cfg.MetricsTokenFile = filepath.Join(dir, "metrics-token")
	if err := os.WriteFile(cfg.MetricsTokenFile, []byte(metricsToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	offLoopback := nonLoopbackIPv4()
	if offLoopback != "" {
		cfg.Addr = net.JoinHostPort(offLoopback, "0")
	}
	l := start(t, cfg)

	name := "metrics-" + randomID()
	project := t.TempDir()
	if err := lambdockdtest.WriteProject(project, shared.bootstrap, name, 128, 10); err != nil {
		t.Fatal(err)
	}
	fn := l.deployDir(t, project)
	account := arnAccount(t, fn.FunctionArn)
	if r := l.invoke(t, name, `{"op":"echo"}`); r.status != http.StatusOK {
		t.Fatalf("warm-up invoke: %v", r)
	}

	gatewayURL := l.url + "/metrics"
	processURL := "http://" + l.srv.MetricsAddr() + "/metrics"
	if offLoopback != "" {
		t.Run("off loopback, /metrics needs the token", func(t *testing.T) {
			for _, tc := range []struct {
				name, auth string
				want       int
			}{
				{"no token", "", http.StatusForbidden},
				{"wrong token", "Bearer nope", http.StatusForbidden},
				{"the token", "Bearer " + metricsToken, http.StatusOK},
			} {
				status, body := get(t, gatewayURL, tc.auth)
				if status != tc.want {
					t.Errorf("%s: status %d (%s), want %d", tc.name, status, firstLine(body), tc.want)
				}
				if strings.Contains(body, metricsToken) && status != http.StatusOK {
					t.Errorf("%s: the refusal shows the token", tc.name)
				}
			}
		})
	}

	before := scrape(t, gatewayURL)
	beforeProc := scrape(t, processURL)

	var made struct{ ok, errors, throttles int }
	for range metricsSuccesses {
		r := l.invoke(t, name, `{"op":"echo"}`)
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != "" {
			t.Fatalf("echo: %v", r)
		}
		made.ok++
	}
	for range metricsErrors {
		r := l.invoke(t, name, `{"op":"error"}`)
		if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) == "" {
			t.Fatalf("error: %v", r)
		}
		made.errors++
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if err := l.client.PutConcurrency(ctx, name, 0); err != nil {
		t.Fatal(err)
	}
	for made.throttles < metricsThrottles {
		r := l.invoke(t, name, `{"op":"echo"}`)
		switch {
		case r.status == http.StatusTooManyRequests:
			made.throttles++
		case r.status == http.StatusOK && r.header.Get(lambdaapi.HeaderFunctionError) == "" && made.throttles == 0:
			made.ok++ // the reservation had not reached the controller yet
		default:
			t.Fatalf("invoke with reserved concurrency 0: %v", r)
		}
	}

	fnLabels := map[string]string{"account": account, "function": name}
	with := func(extra ...string) map[string]string {
		m := map[string]string{}
		for k, v := range fnLabels {
			m[k] = v
		}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	wants := []struct {
		metric string
		labels map[string]string
		delta  int
	}{
		{"lambdock_invocations_total", with("outcome", "success"), made.ok},
		{"lambdock_invocations_total", with("outcome", "error"), made.errors},
		{"lambdock_invocations_total", with("outcome", "timeout"), 0},
		{"lambdock_invocations_total", with("outcome", "crash"), 0},
		{"lambdock_throttles_total", with("reason", lambdaerr.ReasonReservedFunctionConcurrentInvocationLimit), made.throttles},
		{"lambdock_invocation_duration_seconds", fnLabels, made.ok + made.errors}, // its _count
		{"lambdock_http_requests_total", map[string]string{"operation": "InvokeFunction", "code": "2xx"}, made.ok + made.errors},
		{"lambdock_http_requests_total", map[string]string{"operation": "InvokeFunction", "code": "4xx"}, made.throttles},
	}
	// Counters move before the caller is answered, except the gateway's request counter, which
	// moves once the handler has returned: wait for it.
	var after, afterProc map[string]*dto.MetricFamily
	eventually(t, func() string {
		after, afterProc = scrape(t, gatewayURL), scrape(t, processURL)
		for _, w := range wants {
			for _, s := range []struct {
				where         string
				before, after map[string]*dto.MetricFamily
			}{{"gateway /metrics", before, after}, {"--metrics-addr", beforeProc, afterProc}} {
				got := value(s.after, w.metric, w.labels) - value(s.before, w.metric, w.labels)
				if got != float64(w.delta) {
					return fmt.Sprintf("%s: %s%v moved by %v, want %d", s.where, w.metric, w.labels, got, w.delta)
				}
			}
		}
		return ""
	})
	for _, name := range []string{"lambdock_containers", "lambdock_invoker_capacity_bytes",
		"lambdock_controller_leases", "lambdock_reserved_concurrency", "lambdock_async_queue_events",
		"lambdock_nats_messages_total", "lambdock_usage_backlog_records", "lambdock_invocation_overhead_seconds"} {
		if after[name] == nil {
			t.Errorf("%s missing from /metrics", name)
		}
	}
	if got := value(after, "lambdock_reserved_concurrency", fnLabels); after["lambdock_reserved_concurrency"] != nil && got != 0 {
		t.Errorf("lambdock_reserved_concurrency%v = %v, want 0", fnLabels, got)
	}
}

// nonLoopbackIPv4 is an IPv4 address of this host off loopback, or "".
func nonLoopbackIPv4() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}

// arnAccount is the account of a function ARN (arn:aws:lambda:<region>:<account>:function:<name>).
func arnAccount(t *testing.T, arn string) string {
	t.Helper()
	parts := strings.Split(arn, ":")
	if len(parts) < 7 {
		t.Fatalf("function ARN %q", arn)
	}
	return parts[4]
}

// get fetches url with an Authorization header (when not "") and returns the status and body.
func get(t *testing.T, url, authorization string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// scrape fetches and parses a /metrics page (with the bearer token, which every peer of the
// gateway's /metrics needs once a token file is configured; --metrics-addr ignores it).
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	status, body := get(t, url, "Bearer "+metricsToken)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, status, firstLine(body))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return families
}

// value is the value of the metric of families with exactly labels (a histogram's sample
// count), or 0 when there is none.
func value(families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	f := families[name]
	if f == nil {
		return 0
	}
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, lp := range m.GetLabel() {
			if labels[lp.GetName()] != lp.GetValue() {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return 0
}

// firstLine is the first line of s, for messages.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
