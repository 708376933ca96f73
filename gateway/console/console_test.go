package console_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/gateway/console"
)

// TestHandler serves every page and script of the console, the redirect and config.json, each
// with the security headers, and refuses directories, unknown files and other methods.
func TestHandler(t *testing.T) {
	srv := httptest.NewServer(console.New("eu-west-3"))
	defer srv.Close()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct {
		method, path string
		status       int
		contentType  string
		contains     string
	}{
		{"GET", "/console", 301, "", ""},
		{"GET", "/console/", 200, "text/html", `<script type="module" src="app.js">`},
		{"GET", "/console/index.html", 301, "", ""}, // http.FileServer's canonical form: /console/
		{"GET", "/console/app.js", 200, "text/javascript", "textContent"},
		{"GET", "/console/sigv4.js", 200, "text/javascript", "AWS4-HMAC-SHA256"},
		{"GET", "/console/sha256.js", 200, "text/javascript", "hmacSHA256"},
		{"GET", "/console/charts.js", 200, "text/javascript", "createElementNS"},
		{"GET", "/console/api.js", 200, "text/javascript", "sessionStorage"},
		{"GET", "/console/style.css", 200, "text/css", ":root"},
		{"GET", "/console/config.json", 200, "application/json", `"Region":"eu-west-3"`},
		{"HEAD", "/console/app.js", 200, "text/javascript", ""},
		{"GET", "/console/nope.js", 404, "", ""},
		{"GET", "/console/static/", 404, "", ""},
		{"POST", "/console/", 405, "", ""},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.contentType) ||
				!strings.Contains(string(body), tt.contains) {
				t.Fatalf("%d %q, body %.80q; want %d %q containing %q", resp.StatusCode,
					resp.Header.Get("Content-Type"), body, tt.status, tt.contentType, tt.contains)
			}
			for k, want := range map[string]string{"Content-Security-Policy": console.ContentSecurityPolicy,
				"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s %q, want %q", k, got, want)
				}
			}
			if resp.Header.Get("Set-Cookie") != "" {
				t.Error("a cookie was set")
			}
		})
	}

	t.Run("config.json", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/console/config.json")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var cfg console.Config
		if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil {
			t.Fatal(err)
		}
		if cfg.Region != "eu-west-3" || cfg.Service != "lambda" ||
			time.Since(time.UnixMilli(cfg.ServerTime)).Abs() > time.Minute {
			t.Errorf("config %+v", cfg)
		}
	})
}
