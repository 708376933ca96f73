package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

func TestPProf(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pprof string
	}{
		{"off by default", ""},
		{"on loopback", "127.0.0.1:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := controlPlane(t, testenv.NATS(t).ClientURL(), testenv.Postgres(t))
			cfg.PProf = tc.pprof
			srv := startServer(t, cfg)
			// The gateway never serves the profiler.
			if code, _ := get(t, srv.URL()+"/debug/pprof/"); code == http.StatusOK {
				t.Fatal("the gateway serves /debug/pprof/")
			}
			if tc.pprof == "" {
				if srv.PProfAddr() != "" {
					t.Fatalf("pprof on %s without --pprof", srv.PProfAddr())
				}
				return
			}
			code, body := get(t, "http://"+srv.PProfAddr()+"/debug/pprof/")
			if code != http.StatusOK || !strings.Contains(body, "goroutine") {
				t.Fatalf("/debug/pprof/: %d %.200s", code, body)
			}
			if code, _ := get(t, "http://"+srv.PProfAddr()+"/debug/pprof/goroutine?debug=1"); code != http.StatusOK {
				t.Fatalf("/debug/pprof/goroutine: %d", code)
			}
		})
	}
}

// get fetches url and returns the status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}
