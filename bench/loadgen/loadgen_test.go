package loadgen

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunStopsAtRequestCount(t *testing.T) {
	var n int
	calls := make(chan struct{}, 1000)
	r, err := Run(context.Background(), Config{Workers: 4, Requests: 100}, func(context.Context) error {
		calls <- struct{}{}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	close(calls)
	for range calls {
		n++
	}
	if n != 100 || r.Requests != 100 || len(r.Latencies) != 100 || r.Errors != 0 {
		t.Fatalf("calls %d, result %v", n, r)
	}
	if r.Cores < 1 || r.Workers != 4 {
		t.Fatalf("cores %d workers %d", r.Cores, r.Workers)
	}
}

func TestRunStopsAfterDuration(t *testing.T) {
	begin := time.Now()
	r, err := Run(context.Background(), Config{Workers: 2, Duration: 50 * time.Millisecond}, func(context.Context) error {
		time.Sleep(time.Millisecond)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests == 0 {
		t.Fatal("no requests")
	}
	// Generous: only checks that the run ended by itself.
	if d := time.Since(begin); d > 10*time.Second {
		t.Fatalf("run took %s", d)
	}
}

func TestRunCountsErrors(t *testing.T) {
	boom := errors.New("boom")
	i := 0
	r, err := Run(context.Background(), Config{Workers: 1, Requests: 10}, func(context.Context) error {
		i++
		if i%2 == 0 {
			return boom
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors != 5 || r.Requests != 10 || len(r.Latencies) != 5 || !errors.Is(r.FirstErr, boom) {
		t.Fatalf("errors %d, first %v", r.Errors, r.FirstErr)
	}
}

func TestRunPaced(t *testing.T) {
	const rate, n = 200.0, 21
	var starts []time.Time
	r, err := Run(context.Background(), Config{Workers: 1, Requests: n, Rate: rate}, func(context.Context) error {
		starts = append(starts, time.Now())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != n || len(starts) != n {
		t.Fatalf("%d requests, %d calls, want %d", r.Requests, len(starts), n)
	}
	// No request starts before it is due: the last one is due (n-1)/rate after the first.
	if d, due := starts[n-1].Sub(starts[0]), time.Duration((n-1)/rate*float64(time.Second)); d < due-time.Millisecond {
		t.Fatalf("%d requests at %v/s took %v, want at least %v", n, rate, d, due)
	}
}

func TestRunPacedChargesStalls(t *testing.T) {
	// One worker, a request due every 10 ms, the first one stalls for 100 ms: the second was due
	// at 10 ms and starts only at 100 ms, so its latency counts the 90 ms it waited.
	first := true
	r, err := Run(context.Background(), Config{Workers: 1, Requests: 2, Rate: 100}, func(context.Context) error {
		if first {
			first = false
			time.Sleep(100 * time.Millisecond)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Latencies[0]; got < 85*time.Millisecond {
		t.Fatalf("latencies %v: the request due during the stall is charged only %v", r.Latencies, got)
	}
}

func TestRunNeedsABound(t *testing.T) {
	for _, cfg := range []Config{{Workers: 1}, {Workers: 0, Requests: 1}} {
		if _, err := Run(context.Background(), cfg, func(context.Context) error { return nil }); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

func TestPercentile(t *testing.T) {
	r := Result{}
	for i := 1; i <= 1000; i++ {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.9, 900 * time.Millisecond}, {0.99, 990 * time.Millisecond},
		{0.999, 999 * time.Millisecond}, {1, 1000 * time.Millisecond}} {
		if got := r.Percentile(c.p); got != c.want {
			t.Errorf("p%v = %s, want %s", c.p, got, c.want)
		}
	}
	if (Result{}).Percentile(0.5) != 0 {
		t.Error("empty result: want 0")
	}
}

func TestHTTPPost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fail":
			w.WriteHeader(http.StatusTooManyRequests)
		case "/fnerr":
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
		}
	}))
	defer srv.Close()
	for path, wantErr := range map[string]bool{"/ok": false, "/fail": true, "/fnerr": true} {
		req, err := HTTPPost(srv.Client(), srv.URL+path, "{}")
		if err != nil {
			t.Fatal(err)
		}
		if err := req(context.Background()); (err != nil) != wantErr {
			t.Errorf("%s: error %v, want error %v", path, err, wantErr)
		}
	}
	if _, err := HTTPPost(http.DefaultClient, "http://192.0.2.1/x", "{}"); err == nil {
		t.Error("non-loopback target accepted")
	}
}

func TestRawPost(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		switch {
		case r.URL.Path == "/close":
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusAccepted)
		case r.Header.Get("X-Amz-Invocation-Type") != "Event" || string(b) != `{"op":"echo"}`:
			http.Error(w, "bad request", http.StatusBadRequest)
		case r.URL.Path == "/fnerr":
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			w.WriteHeader(http.StatusAccepted)
		default:
			w.WriteHeader(http.StatusAccepted)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	event := http.Header{"X-Amz-Invocation-Type": {"Event"}}
	for _, tt := range []struct {
		path      string
		header    http.Header
		wantErr   string
		wantConns int64 // connections after 10 sequential requests
	}{
		{"/ok", event, "", 1},
		{"/ok", nil, "status 400: bad request", 1},
		{"/fnerr", event, "function error Unhandled", 1},
		{"/close", event, "", 10},
	} {
		conns.Store(0)
		req, closer, err := RawPost(srv.URL+tt.path, `{"op":"echo"}`, tt.header, http.StatusAccepted, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for range 10 {
			err := req(context.Background())
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("%s: error %v, want %q", tt.path, err, tt.wantErr)
			}
		}
		if n := conns.Load(); n != tt.wantConns {
			t.Errorf("%s %v: %d connections, want %d", tt.path, tt.header, n, tt.wantConns)
		}
		_ = closer.Close()
	}
	if _, _, err := RawPost("http://192.0.2.1/x", "{}", nil, 0, time.Second); err == nil {
		t.Error("non-loopback target accepted")
	}
	if _, _, err := RawPost("https://127.0.0.1/x", "{}", nil, 0, time.Second); err == nil {
		t.Error("https target accepted")
	}
}
