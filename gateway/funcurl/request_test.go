package funcurl_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdock/lambdock/gateway/funcurl"
)

var at = time.Date(2020, time.March, 12, 19, 3, 58, 390_000_000, time.UTC)

func info() funcurl.RequestInfo {
	return funcurl.RequestInfo{
		URLID:      "abcdefghijklmnopqrstuvwxyz012345",
		DomainName: "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws",
		AccountID:  "123456789012",
		RequestID:  "8d3f6f0e-1b1c-4e0c-9d8e-3c1f7b2a9e10",
		SourceIP:   "203.0.113.7",
		Time:       at,
	}
}

// decode unmarshals an event the way a Go function's runtime does, and also into a generic map so
// that fields events.LambdaFunctionURLRequest does not model can be checked.
func decode(t *testing.T, payload []byte) (events.LambdaFunctionURLRequest, map[string]any) {
	t.Helper()
	var ev events.LambdaFunctionURLRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatalf("events.LambdaFunctionURLRequest cannot decode the event: %v\n%s", err, payload)
	}
	var raw map[string]any
	if err := json.Unmarshal(payload, &raw); err != nil {
		t.Fatal(err)
	}
	return ev, raw
}

func TestEventDecodesAsLambdaFunctionURLRequest(t *testing.T) {
	binary := []byte{0x00, 0xff, 0x80, 0x0a, 'P', 'N', 'G'}
	iam := &funcurl.IAMCaller{AccessKey: "AKIAEXAMPLE", AccountID: "111122223333", CallerID: "AIDAEXAMPLE",
		UserARN: "arn:aws:iam::111122223333:user/alice", UserID: "AIDAEXAMPLE"}

	tests := []struct {
		name    string
		method  string
		target  string
		header  http.Header
		body    []byte
		info    func(funcurl.RequestInfo) funcurl.RequestInfo
		want    func(*events.LambdaFunctionURLRequest)
		absent  []string // top-level or requestContext members that must not be present
		present []string
	}{
		{
			name:   "text body, repeated headers and query names, cookies, IAM caller",
			method: http.MethodPost,
			target: "/fn/hello/my/path?parameter1=value1&parameter1=value2&parameter2=a%2Fb+c",
			header: http.Header{
				"Content-Type": {"application/json; charset=utf-8"},
				"Header2":      {"v1", "v2"},
				"Cookie":       {"c1=v1; c2=v2", "c3=v3"},
				"User-Agent":   {"curl/8.5.0"},
			},
			body: []byte(`{"hello": "wörld"}`),
			info: func(i funcurl.RequestInfo) funcurl.RequestInfo {
				i.Path = "/my/path"
				i.IAM = iam
				i.TraceID = "Root=1-5e6a8b2e-0123456789abcdef01234567"
				return i
			},
			want: func(ev *events.LambdaFunctionURLRequest) {
				ev.RawPath = "/my/path"
				ev.RawQueryString = "parameter1=value1&parameter1=value2&parameter2=a%2Fb+c"
				ev.Cookies = []string{"c1=v1", "c2=v2", "c3=v3"}
				ev.Headers["content-type"] = "application/json; charset=utf-8"
				ev.Headers["header2"] = "v1,v2"
				ev.Headers["cookie"] = "c1=v1; c2=v2; c3=v3"
				ev.Headers["user-agent"] = "curl/8.5.0"
				ev.Headers["x-amzn-trace-id"] = "Root=1-5e6a8b2e-0123456789abcdef01234567"
				ev.QueryStringParameters = map[string]string{"parameter1": "value1,value2", "parameter2": "a/b c"}
				ev.RequestContext.HTTP.Method = http.MethodPost
				ev.RequestContext.HTTP.Path = "/my/path"
				ev.RequestContext.HTTP.UserAgent = "curl/8.5.0"
				ev.RequestContext.Authorizer = &events.LambdaFunctionURLRequestContextAuthorizerDescription{
					IAM: &events.LambdaFunctionURLRequestContextAuthorizerIAMDescription{
						AccessKey: "AKIAEXAMPLE", AccountID: "111122223333", CallerID: "AIDAEXAMPLE",
						UserARN: "arn:aws:iam::111122223333:user/alice", UserID: "AIDAEXAMPLE"}}
				ev.Body = `{"hello": "wörld"}`
			},
			absent:  []string{"pathParameters", "stageVariables", "requestContext.authentication"},
			present: []string{"body", "cookies", "queryStringParameters", "requestContext.authorizer"},
		},
		{
			name:   "binary body is base64 and round-trips",
			method: http.MethodPut,
			target: "/fn/hello/upload",
			header: http.Header{"Content-Type": {"application/octet-stream"}},
			body:   binary,
			info: func(i funcurl.RequestInfo) funcurl.RequestInfo {
				i.Path = "/upload"
				return i
			},
			want: func(ev *events.LambdaFunctionURLRequest) {
				ev.RawPath = "/upload"
				ev.Headers["content-type"] = "application/octet-stream"
				ev.RequestContext.HTTP.Method = http.MethodPut
				ev.RequestContext.HTTP.Path = "/upload"
				ev.Body = base64.StdEncoding.EncodeToString(binary)
				ev.IsBase64Encoded = true
			},
			absent: []string{"cookies", "queryStringParameters", "requestContext.authorizer"},
		},
		{
			name:   "no body: no body member, isBase64Encoded false; empty path after the prefix is /",
			method: http.MethodGet,
			target: "/fn/hello",
			info: func(i funcurl.RequestInfo) funcurl.RequestInfo {
				i.Path = ""
				return i
			},
			want: func(ev *events.LambdaFunctionURLRequest) {
				ev.RequestContext.HTTP.Method = http.MethodGet
			},
			absent:  []string{"body", "cookies", "queryStringParameters", "requestContext.authorizer"},
			present: []string{"isBase64Encoded", "rawQueryString"},
		},
		{
			name:   "a path without a leading slash gets one",
			method: http.MethodGet,
			target: "/fn/hello",
			info: func(i funcurl.RequestInfo) funcurl.RequestInfo {
				i.Path = "a%20b/c"
				return i
			},
			want: func(ev *events.LambdaFunctionURLRequest) {
				ev.RawPath = "/a%20b/c"
				ev.RequestContext.HTTP.Method = http.MethodGet
				ev.RequestContext.HTTP.Path = "/a%20b/c"
			},
		},
		{
			name:   "form posts are base64, as on AWS",
			method: http.MethodPost,
			target: "/fn/hello/",
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			body:   []byte("a=1&b=2"),
			info: func(i funcurl.RequestInfo) funcurl.RequestInfo {
				i.Path = "/"
				return i
			},
			want: func(ev *events.LambdaFunctionURLRequest) {
				ev.Headers["content-type"] = "application/x-www-form-urlencoded"
				ev.RequestContext.HTTP.Method = http.MethodPost
				ev.Body = base64.StdEncoding.EncodeToString([]byte("a=1&b=2"))
				ev.IsBase64Encoded = true
			},
		},
		{
			name:   "text content that is not UTF-8 is base64 rather than mangled",
			method: http.MethodPost,
			target: "/fn/hello/",
			header: http.Header{"Content-Type": {"text/plain; charset=latin1"}},
			body:   []byte("caf\xe9"),
			info: func(i funcurl.RequestInfo) funcurl.RequestInfo {
				i.Path = "/"
				return i
			},
			want: func(ev *events.LambdaFunctionURLRequest) {
				ev.Headers["content-type"] = "text/plain; charset=latin1"
				ev.RequestContext.HTTP.Method = http.MethodPost
				ev.Body = base64.StdEncoding.EncodeToString([]byte("caf\xe9"))
				ev.IsBase64Encoded = true
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "http://gw.example:9000"+tt.target, bytes.NewReader(tt.body))
			for k, v := range tt.header {
				r.Header[k] = v
			}
			payload, err := funcurl.Event(r, tt.body, tt.info(info()))
			if err != nil {
				t.Fatal(err)
			}
			got, raw := decode(t, payload)

			want := events.LambdaFunctionURLRequest{
				Version: "2.0",
				RawPath: "/",
				Headers: map[string]string{
					"host":              "gw.example:9000",
					"x-forwarded-for":   "203.0.113.7",
					"x-forwarded-proto": "http",
					"x-forwarded-port":  "9000",
				},
				RequestContext: events.LambdaFunctionURLRequestContext{
					AccountID:    "123456789012",
					RequestID:    "8d3f6f0e-1b1c-4e0c-9d8e-3c1f7b2a9e10",
					APIID:        "abcdefghijklmnopqrstuvwxyz012345",
					DomainName:   "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws",
					DomainPrefix: "abcdefghijklmnopqrstuvwxyz012345",
					Time:         "12/Mar/2020:19:03:58 +0000",
					TimeEpoch:    1584039838390,
					HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{
						Path: "/", Protocol: "HTTP/1.1", SourceIP: "203.0.113.7"},
				},
			}
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				g, _ := json.MarshalIndent(got, "", "  ")
				w, _ := json.MarshalIndent(want, "", "  ")
				t.Fatalf("decoded event differs\ngot  %s\nwant %s", g, w)
			}
			if got.IsBase64Encoded {
				dec, err := base64.StdEncoding.DecodeString(got.Body)
				if err != nil || !bytes.Equal(dec, tt.body) {
					t.Fatalf("base64 body decodes to %q (%v), want %q", dec, err, tt.body)
				}
			} else if got.Body != string(tt.body) {
				t.Fatalf("text body %q, want %q", got.Body, tt.body)
			}

			for k, v := range map[string]any{"version": "2.0", "routeKey": "$default",
				"requestContext.routeKey": "$default", "requestContext.stage": "$default"} {
				if g := member(raw, k); g != v {
					t.Errorf("%s = %v, want %v", k, g, v)
				}
			}
			for _, k := range tt.absent {
				if has(raw, k) {
					t.Errorf("%s present, want it omitted:\n%s", k, payload)
				}
			}
			for _, k := range tt.present {
				if !has(raw, k) {
					t.Errorf("%s missing:\n%s", k, payload)
				}
			}
		})
	}
}

// member returns raw's value at a dotted path such as "requestContext.stage".
func member(raw map[string]any, path string) any {
	var v any = raw
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		if v, ok = m[k]; !ok {
			return nil
		}
	}
	return v
}

func has(raw map[string]any, path string) bool {
	parent, last := raw, path
	if i := strings.LastIndex(path, "."); i >= 0 {
		m, ok := member(raw, path[:i]).(map[string]any)
		if !ok {
			return false
		}
		parent, last = m, path[i+1:]
	}
	_, ok := parent[last]
	return ok
}

func TestEventIAMAuthorizerShape(t *testing.T) {
	for _, org := range []string{"", "o-exampleorgid"} {
		r := httptest.NewRequest(http.MethodGet, "http://x/", nil)
		i := info()
		i.IAM = &funcurl.IAMCaller{AccessKey: "AKIA", AccountID: "111122223333", CallerID: "AIDA",
			PrincipalOrgID: org, UserARN: "arn:aws:iam::111122223333:user/u", UserID: "AIDA"}
		payload, err := funcurl.Event(r, nil, i)
		if err != nil {
			t.Fatal(err)
		}
		_, raw := decode(t, payload)
		iam, _ := member(raw, "requestContext.authorizer.iam").(map[string]any)
		// cognitoIdentity is always null on function URLs, principalOrgId null when unknown
		// (DG urls-invocation.md).
		want := map[string]any{"accessKey": "AKIA", "accountId": "111122223333", "callerId": "AIDA",
			"cognitoIdentity": nil, "principalOrgId": nil, "userArn": "arn:aws:iam::111122223333:user/u",
			"userId": "AIDA"}
		if org != "" {
			want["principalOrgId"] = org
		}
		if !reflect.DeepEqual(iam, want) {
			t.Errorf("authorizer.iam = %v, want %v", iam, want)
		}
	}
}

func TestEventQueryStringParameters(t *testing.T) {
	tests := []struct {
		query string
		want  map[string]string // nil: the member is omitted
	}{
		{"", nil},
		{"a=1&a=2&b=x", map[string]string{"a": "1,2", "b": "x"}},
		{"flag&empty=&sp=a+b&enc=%2Fbar", map[string]string{"flag": "", "empty": "", "sp": "a b", "enc": "/bar"}},
		{"bad=%zz&ok=1&&", map[string]string{"bad": "%zz", "ok": "1"}},
		{"semi=a;b", map[string]string{"semi": "a;b"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://x/p", nil)
			r.URL.RawQuery = tt.query
			payload, err := funcurl.Event(r, nil, info())
			if err != nil {
				t.Fatal(err)
			}
			ev, raw := decode(t, payload)
			if ev.RawQueryString != tt.query {
				t.Errorf("rawQueryString %q, want it as received: %q", ev.RawQueryString, tt.query)
			}
			if !reflect.DeepEqual(ev.QueryStringParameters, tt.want) {
				t.Errorf("queryStringParameters %v, want %v", ev.QueryStringParameters, tt.want)
			}
			if tt.want == nil && has(raw, "queryStringParameters") {
				t.Errorf("queryStringParameters present for an empty query")
			}
		})
	}
}

func TestIsTextContent(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/plain":                        true,
		"TEXT/HTML; charset=UTF-8":          true,
		"text/csv":                          true,
		"application/json":                  true,
		" Application/JSON ;charset=utf-8":  true,
		"application/xml":                   true,
		"application/javascript":            true,
		"":                                  false,
		"application/octet-stream":          false,
		"application/x-www-form-urlencoded": false,
		"multipart/form-data; boundary=x":   false,
		"application/vnd.api+json":          false,
		"image/png":                         false,
		"idk":                               false,
	} {
		if got := funcurl.IsTextContent(ct); got != want {
			t.Errorf("IsTextContent(%q) = %v, want %v", ct, got, want)
		}
	}
}

// TestEventOverRealServer checks what net/http hands the gateway: Host and Connection live apart
// from other headers there, and the listener's port is known.
func TestEventOverRealServer(t *testing.T) {
	got := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		i := info()
		i.SourceIP = "" // from RemoteAddr
		i.Path = strings.TrimPrefix(r.URL.EscapedPath(), "/fn/hello")
		payload, err := funcurl.Event(r, body, i)
		if err != nil {
			t.Error(err)
		}
		got <- payload
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/fn/hello/a%2Fb/c?x=1", strings.NewReader("hi"))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Connection", "keep-alive, X-Hop")
	req.Header.Set("X-Hop", "dropped")
	req.Header.Set("X-Forwarded-For", "198.51.100.1")
	req.Header.Add("X-Multi", "1")
	req.Header.Add("X-Multi", "2")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	ev, _ := decode(t, <-got)
	if ev.RawPath != "/a%2Fb/c" || ev.RequestContext.HTTP.Path != "/a%2Fb/c" {
		t.Errorf("path %q / %q, want the escaped path after the prefix", ev.RawPath, ev.RequestContext.HTTP.Path)
	}
	if ev.RequestContext.HTTP.SourceIP != "127.0.0.1" {
		t.Errorf("sourceIp %q, want the peer address", ev.RequestContext.HTTP.SourceIP)
	}
	wantHeaders := map[string]string{
		"host":              strings.TrimPrefix(srv.URL, "http://"),
		"content-type":      "text/plain",
		"content-length":    "2",
		"accept-encoding":   "gzip",
		"user-agent":        "Go-http-client/1.1",
		"x-multi":           "1,2",
		"x-forwarded-for":   "198.51.100.1, 127.0.0.1",
		"x-forwarded-proto": "http",
		"x-forwarded-port":  port,
	}
	if !reflect.DeepEqual(ev.Headers, wantHeaders) {
		t.Errorf("headers\n got %v\nwant %v", ev.Headers, wantHeaders)
	}
	if ev.Body != "hi" || ev.IsBase64Encoded {
		t.Errorf("body %q base64=%v", ev.Body, ev.IsBase64Encoded)
	}
}
