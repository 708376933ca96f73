package funcurl_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lambdock/lambdock/gateway/funcurl"
)

func preflight(origin, method, headers string) *http.Request {
	r := httptest.NewRequest(http.MethodOptions, "http://x/fn/f/p", nil)
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	if method != "" {
		r.Header.Set("Access-Control-Request-Method", method)
	}
	if headers != "" {
		r.Header.Set("Access-Control-Request-Headers", headers)
	}
	return r
}

func TestCORSPreflight(t *testing.T) {
	specific := &funcurl.CORS{
		AllowOrigins: []string{"https://app.example.com", "HTTP://LOCALHOST:8080"},
		AllowMethods: []string{"put", "GET"},
		AllowHeaders: []string{"X-Custom", "Content-Type"},
		MaxAge:       300,
	}
	wildcard := &funcurl.CORS{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}}
	credentials := &funcurl.CORS{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowCredentials: true}
	tests := []struct {
		name    string
		cors    *funcurl.CORS
		r       *http.Request
		handled bool
		want    http.Header
	}{
		{"allowed, matched ignoring case", specific,
			preflight("http://localhost:8080", "PUT", "x-custom, content-type"), true,
			http.Header{
				"Access-Control-Allow-Origin":  {"http://localhost:8080"},
				"Vary":                         {"Origin"},
				"Access-Control-Allow-Methods": {"put,GET"},
				"Access-Control-Allow-Headers": {"X-Custom,Content-Type"},
				"Access-Control-Max-Age":       {"300"},
			}},
		{"denied origin gets no CORS headers", specific,
			preflight("https://evil.example.com", "PUT", ""), true, http.Header{}},
		{"origin differing only in scheme is denied", specific,
			preflight("http://app.example.com", "GET", ""), true, http.Header{}},
		{"method not allowed", specific,
			preflight("https://app.example.com", "DELETE", ""), true, http.Header{}},
		{"header not allowed", specific,
			preflight("https://app.example.com", "PUT", "x-custom,authorization"), true, http.Header{}},
		{"safelisted method needs no AllowMethods", &funcurl.CORS{AllowOrigins: []string{"https://app.example.com"}},
			preflight("https://app.example.com", "POST", ""), true,
			http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Vary": {"Origin"}}},
		{"wildcards echo the request", wildcard,
			preflight("https://any.example.org", "PATCH", "Authorization, X-Trace"), true,
			http.Header{
				"Access-Control-Allow-Origin":  {"*"},
				"Access-Control-Allow-Methods": {"PATCH"},
				"Access-Control-Allow-Headers": {"authorization,x-trace"},
			}},
		{"wildcard origin with credentials names the origin", credentials,
			preflight("https://any.example.org", "DELETE", ""), true,
			http.Header{
				"Access-Control-Allow-Origin":      {"https://any.example.org"},
				"Vary":                             {"Origin"},
				"Access-Control-Allow-Methods":     {"DELETE"},
				"Access-Control-Allow-Credentials": {"true"},
			}},
		{"OPTIONS without Access-Control-Request-Method goes to the function", specific,
			preflight("https://app.example.com", "", ""), false, nil},
		{"OPTIONS without Origin goes to the function", specific, preflight("", "PUT", ""), false, nil},
		{"not OPTIONS", specific, func() *http.Request {
			r := preflight("https://app.example.com", "PUT", "")
			r.Method = http.MethodGet
			return r
		}(), false, nil},
		{"no CORS configured", nil, preflight("https://app.example.com", "PUT", ""), false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			handled, h := tt.cors.Preflight(tt.r)
			if handled != tt.handled || !reflect.DeepEqual(h, tt.want) {
				t.Errorf("Preflight = %v %v, want %v %v", handled, h, tt.handled, tt.want)
			}
		})
	}
}

func TestCORSDecorate(t *testing.T) {
	cfg := &funcurl.CORS{
		AllowOrigins:     []string{"https://app.example.com"},
		AllowCredentials: true,
		ExposeHeaders:    []string{"X-Request-Id", "Date"},
	}
	tests := []struct {
		name   string
		cors   *funcurl.CORS
		origin string
		have   http.Header // what the function returned
		want   http.Header
	}{
		{"allowed origin; configured values replace the function's", cfg, "https://APP.example.com",
			http.Header{"Access-Control-Allow-Origin": {"*"}, "Vary": {"Accept-Encoding"}},
			http.Header{
				"Access-Control-Allow-Origin":      {"https://APP.example.com"},
				"Access-Control-Allow-Credentials": {"true"},
				"Access-Control-Expose-Headers":    {"X-Request-Id,Date"},
				"Vary":                             {"Accept-Encoding", "Origin"},
			}},
		{"Vary: origin is not repeated", cfg, "https://app.example.com",
			http.Header{"Vary": {"Accept, origin"}},
			http.Header{
				"Access-Control-Allow-Origin":      {"https://app.example.com"},
				"Access-Control-Allow-Credentials": {"true"},
				"Access-Control-Expose-Headers":    {"X-Request-Id,Date"},
				"Vary":                             {"Accept, origin"},
			}},
		{"other origin: nothing added", cfg, "https://evil.example.com",
			http.Header{"Content-Type": {"text/plain"}}, http.Header{"Content-Type": {"text/plain"}}},
		{"no Origin: nothing added", cfg, "",
			http.Header{"Content-Type": {"text/plain"}}, http.Header{"Content-Type": {"text/plain"}}},
		{"no CORS configured", nil, "https://app.example.com",
			http.Header{"Content-Type": {"text/plain"}}, http.Header{"Content-Type": {"text/plain"}}},
		{"wildcard without credentials", &funcurl.CORS{AllowOrigins: []string{"*"}}, "https://x.example",
			http.Header{}, http.Header{"Access-Control-Allow-Origin": {"*"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://x/fn/f/", nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			tt.cors.Decorate(r, tt.have)
			if !reflect.DeepEqual(tt.have, tt.want) {
				t.Errorf("headers %v, want %v", tt.have, tt.want)
			}
		})
	}
}

func TestCORSJSONNames(t *testing.T) {
	in := `{"AllowCredentials":true,"AllowHeaders":["h"],"AllowMethods":["GET"],"AllowOrigins":["*"],"ExposeHeaders":["e"],"MaxAge":60}`
	var c funcurl.CORS
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	want := funcurl.CORS{AllowCredentials: true, AllowHeaders: []string{"h"}, AllowMethods: []string{"GET"},
		AllowOrigins: []string{"*"}, ExposeHeaders: []string{"e"}, MaxAge: 60}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("decoded %+v, want %+v", c, want)
	}
	out, _ := json.Marshal(c)
	if string(out) != in {
		t.Fatalf("encoded %s, want %s", out, in)
	}
}

// TestCORSOverHTTP puts Preflight, Event, Response and Decorate together the way a gateway route
// will, over a real connection: a preflight never reaches the function, a request does and its
// response carries the CORS headers.
func TestCORSOverHTTP(t *testing.T) {
	cfg := &funcurl.CORS{AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"PUT"},
		AllowHeaders: []string{"content-type"}, ExposeHeaders: []string{"x-fn"}}
	var invocations atomic.Int32
	function := func(event []byte) []byte { // echoes the method it was invoked with
		invocations.Add(1)
		var ev struct {
			RequestContext struct{ HTTP struct{ Method string } } `json:"requestContext"`
		}
		if err := json.Unmarshal(event, &ev); err != nil {
			t.Error(err)
		}
		return []byte(`{"statusCode":200,"headers":{"X-Fn":"1"},"body":"` + ev.RequestContext.HTTP.Method + `"}`)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if handled, h := cfg.Preflight(r); handled {
			for k, v := range h {
				w.Header()[k] = v
			}
			w.WriteHeader(http.StatusOK)
			return
		}
		body, _ := io.ReadAll(r.Body)
		event, err := funcurl.Event(r, body, funcurl.RequestInfo{})
		if err != nil {
			t.Error(err)
		}
		status, header, out, err := funcurl.Response(function(event))
		if err != nil {
			status, header, out = funcurl.FunctionError.Response("")
		}
		cfg.Decorate(r, header)
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write(out) // a failed write is the client's loss; nothing to report it to
	}))
	defer srv.Close()

	do := func(method string, header map[string]string) (*http.Response, string) {
		req, _ := http.NewRequest(method, srv.URL+"/fn/f/p", strings.NewReader(""))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	resp, body := do(http.MethodOptions, map[string]string{"Origin": "https://app.example.com",
		"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "Content-Type"})
	if resp.StatusCode != 200 || body != "" || invocations.Load() != 0 {
		t.Fatalf("preflight: %d %q, %d invocations; want 200, empty, none", resp.StatusCode, body, invocations.Load())
	}
	if got := resp.Header.Get("Access-Control-Allow-Methods"); got != "PUT" {
		t.Errorf("Access-Control-Allow-Methods %q", got)
	}

	resp, body = do(http.MethodOptions, map[string]string{"Origin": "https://evil.example.com",
		"Access-Control-Request-Method": "PUT"})
	if resp.StatusCode != 200 || body != "" || resp.Header.Get("Access-Control-Allow-Origin") != "" ||
		invocations.Load() != 0 {
		t.Fatalf("denied preflight: %d %q %v, %d invocations", resp.StatusCode, body, resp.Header, invocations.Load())
	}

	resp, body = do(http.MethodOptions, nil) // a plain OPTIONS is the function's
	if resp.StatusCode != 200 || body != "OPTIONS" || invocations.Load() != 1 {
		t.Fatalf("plain OPTIONS: %d %q, %d invocations", resp.StatusCode, body, invocations.Load())
	}

	resp, body = do(http.MethodPut, map[string]string{"Origin": "https://app.example.com"})
	if body != "PUT" || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		resp.Header.Get("Access-Control-Expose-Headers") != "x-fn" || resp.Header.Get("X-Fn") != "1" {
		t.Fatalf("actual request: %q %v", body, resp.Header)
	}
}
