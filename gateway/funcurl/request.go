package funcurl

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// TimeFormat is the form of requestContext.time, e.g. "12/Mar/2020:19:03:58 +0000".
const TimeFormat = "02/Jan/2006:15:04:05 -0700"

// RequestInfo is what the caller knows about a request and the URL it reached, which the HTTP
// request itself does not carry.
type RequestInfo struct {
	// Path is the path the function sees (rawPath and requestContext.http.path), still
	// percent-encoded as received (r.URL.EscapedPath()): the part after /fn/{name} on path-based
	// routing, the whole path on host-based routing. A path that does not start with "/" gets one,
	// so the empty rest of /fn/{name} is "/", as for https://<url-id>.lambda-url.<region>.on.aws
	// (aws-lambda-go lambdaurl/testdata/function-url-domain-only-get-request.json).
	Path string
	// URLID is the function URL's id: requestContext.apiId and requestContext.domainPrefix.
	URLID string
	// DomainName is requestContext.domainName; empty means the request's Host without its port.
	DomainName string
	// AccountID is the function owner's account (requestContext.accountId).
	AccountID string
	// RequestID is requestContext.requestId, the invocation's id.
	RequestID string
	// SourceIP is requestContext.http.sourceIp; empty means the host part of r.RemoteAddr.
	SourceIP string
	// TraceID, when set, is passed as the x-amzn-trace-id header.
	TraceID string
	// Time is when the request arrived; zero means now.
	Time time.Time
	// IAM is the SigV4-authenticated caller of an AWS_IAM URL; nil for auth type NONE, and then the
	// event has no requestContext.authorizer.
	IAM *IAMCaller
}

// IAMCaller is requestContext.authorizer.iam: who signed the request to an AWS_IAM function URL.
type IAMCaller struct {
	AccessKey      string `json:"accessKey"`
	AccountID      string `json:"accountId"`
	CallerID       string `json:"callerId"`
	PrincipalOrgID string `json:"principalOrgId"`
	UserARN        string `json:"userArn"`
	UserID         string `json:"userId"`
}

// event is the payload v2.0 object as function URLs send it (lambda-api.md §5.1; real events in
// aws-lambda-go lambdaurl/testdata/function-url-*.json). Absent fields are omitted, not null:
// function URLs send no pathParameters, stageVariables or requestContext.authentication, no
// cookies or queryStringParameters when there are none, and no body for an empty request.
type event struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        requestContext    `json:"requestContext"`
	Body                  *string           `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type requestContext struct {
	AccountID    string      `json:"accountId"`
	APIID        string      `json:"apiId"`
	Authorizer   *authorizer `json:"authorizer,omitempty"`
	DomainName   string      `json:"domainName"`
	DomainPrefix string      `json:"domainPrefix"`
	HTTP         httpInfo    `json:"http"`
	RequestID    string      `json:"requestId"`
	RouteKey     string      `json:"routeKey"`
	Stage        string      `json:"stage"`
	Time         string      `json:"time"`
	TimeEpoch    int64       `json:"timeEpoch"`
}

type authorizer struct {
	IAM *iamInfo `json:"iam"`
}

// iamInfo adds the members function URLs always send as null (DG urls-invocation.md).
type iamInfo struct {
	AccessKey       string  `json:"accessKey"`
	AccountID       string  `json:"accountId"`
	CallerID        string  `json:"callerId"`
	CognitoIdentity any     `json:"cognitoIdentity"`
	PrincipalOrgID  *string `json:"principalOrgId"`
	UserARN         string  `json:"userArn"`
	UserID          string  `json:"userId"`
}

type httpInfo struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// hopByHop are the headers a proxy does not forward (RFC 9110 §7.6.1). Real function URL events
// have no connection header although python-requests sends one.
var hopByHop = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// Event builds the payload v2.0 event a function URL sends for r, whose body the caller has
// already read (and bounded) into body. r.Body is not read.
//
// Headers are lower-cased and repeated ones comma-joined; the host header and x-forwarded-for,
// -proto and -port are added as the function URL front door adds them. Cookie headers are split
// into cookies and, as in real function URL events, the cookie header stays in headers too.
// queryStringParameters are decoded, repeated names comma-joined; rawQueryString is as received.
// The body is passed as text only for text/*, application/json, application/xml and
// application/javascript content that is valid UTF-8, and base64-encoded otherwise.
func Event(r *http.Request, body []byte, info RequestInfo) ([]byte, error) {
	at := info.Time
	if at.IsZero() {
		at = time.Now()
	}
	path := info.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	sourceIP := info.SourceIP
	if sourceIP == "" {
		sourceIP = remoteIP(r.RemoteAddr)
	}
	domain := info.DomainName
	if domain == "" {
		domain = hostWithoutPort(r.Host)
	}

	ev := event{
		Version:               "2.0",
		RouteKey:              "$default",
		RawPath:               path,
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies(r.Header),
		Headers:               eventHeaders(r, sourceIP, info.TraceID),
		QueryStringParameters: queryParameters(r.URL.RawQuery),
		RequestContext: requestContext{
			AccountID:    info.AccountID,
			APIID:        info.URLID,
			DomainName:   domain,
			DomainPrefix: info.URLID,
			HTTP: httpInfo{
				Method:    r.Method,
				Path:      path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
			RequestID: info.RequestID,
			RouteKey:  "$default",
			Stage:     "$default",
			Time:      at.UTC().Format(TimeFormat),
			TimeEpoch: at.UnixMilli(),
		},
	}
	if c := info.IAM; c != nil {
		iam := &iamInfo{AccessKey: c.AccessKey, AccountID: c.AccountID, CallerID: c.CallerID,
			UserARN: c.UserARN, UserID: c.UserID}
		if c.PrincipalOrgID != "" {
			iam.PrincipalOrgID = &c.PrincipalOrgID
		}
		ev.RequestContext.Authorizer = &authorizer{IAM: iam}
	}
	if len(body) > 0 {
		var s string
		if IsTextContent(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			s = string(body)
		} else {
			s = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
		ev.Body = &s
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ev); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// IsTextContent reports whether a request body of this Content-Type reaches the function as text
// rather than base64: text/* and application/json, application/xml, application/javascript, with
// any parameters. Everything else, including no Content-Type, +json/+xml suffixes and
// application/x-www-form-urlencoded, is binary. AWS documents only "if the content type of the
// request is binary, the body is base64-encoded" (DG urls-invocation.md); the list is the split
// observed on AWS: ministack apigateway.py _v2_request_body_is_text (payload v2.0, checked
// against AWS); LocalStack's AWS-validated TestLambdaURL (text/plain and application/json as
// text, multipart/form-data as base64); aws-lambda-go lambdaurl/testdata (an unknown type as
// base64); LeanerCloud/CUDly PR #1483 (form posts base64-encoded by function URLs).
func IsTextContent(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	switch mt {
	case "application/json", "application/xml", "application/javascript":
		return true
	}
	return strings.HasPrefix(mt, "text/")
}

// eventHeaders lower-cases names and joins repeated values with "," (cookie with "; ", the
// separator within one Cookie header), drops hop-by-hop headers, and adds what the front door
// adds: host, x-forwarded-for (appended to, as proxies do), x-forwarded-proto and -port (set), and
// x-amzn-trace-id when known.
func eventHeaders(r *http.Request, sourceIP, traceID string) map[string]string {
	skip := map[string]bool{}
	for _, name := range hopByHop {
		skip[strings.ToLower(name)] = true
	}
	for _, v := range r.Header.Values("Connection") {
		for _, name := range strings.Split(v, ",") {
			skip[strings.ToLower(strings.TrimSpace(name))] = true
		}
	}
	h := make(map[string]string, len(r.Header)+5)
	for name, values := range r.Header {
		lower := strings.ToLower(name)
		if skip[lower] || len(values) == 0 {
			continue
		}
		sep := ","
		if lower == "cookie" {
			sep = "; "
		}
		if prev, ok := h[lower]; ok { // the same name in two spellings (a hand-built Header)
			values = append([]string{prev}, values...)
		}
		h[lower] = strings.Join(values, sep)
	}
	if r.Host != "" {
		h["host"] = r.Host
	}
	if sourceIP != "" {
		if prior := h["x-forwarded-for"]; prior != "" {
			h["x-forwarded-for"] = prior + ", " + sourceIP
		} else {
			h["x-forwarded-for"] = sourceIP
		}
	}
	proto, port := "http", "80"
	if r.TLS != nil {
		proto, port = "https", "443"
	}
	if p := localPort(r); p != "" {
		port = p
	}
	h["x-forwarded-proto"] = proto
	h["x-forwarded-port"] = port
	if traceID != "" {
		h[strings.ToLower(lambdaapi.HeaderTraceID)] = traceID
	}
	return h
}

// cookies splits every Cookie header at ";" into its name=value pairs; nil when there are none.
func cookies(h http.Header) []string {
	var out []string
	for _, line := range h.Values("Cookie") {
		for _, c := range strings.Split(line, ";") {
			if c = strings.TrimSpace(c); c != "" {
				out = append(out, c)
			}
		}
	}
	return out
}

// queryParameters decodes a raw query into name → values joined by ","; nil when empty. A name
// or value that is not valid percent-encoding is kept as received rather than dropped (as
// url.ParseQuery would).
func queryParameters(raw string) map[string]string {
	if raw == "" {
		return nil
	}
	var params map[string]string
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, v = unescapeQuery(k), unescapeQuery(v)
		if params == nil {
			params = map[string]string{}
		}
		if prev, ok := params[k]; ok {
			params[k] = prev + "," + v
		} else {
			params[k] = v
		}
	}
	return params
}

func unescapeQuery(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func remoteIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

func hostWithoutPort(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// localPort is the port the request arrived on: the listener's (set by net/http servers), else
// the one in Host.
func localPort(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, p, err := net.SplitHostPort(a.String()); err == nil {
			return p
		}
	}
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		return p
	}
	return ""
}
