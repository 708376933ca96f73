package sigv4_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/lambdock/lambdock/gateway/sigv4"
)

const (
	testRegion = "us-east-1"
	testAKID   = "AKIALAMBDOCKTEST0001"
	testSecret = "lambdock/test+secret/0123456789abcdefghijklmn"
	qualified  = "arn:aws:lambda:us-east-1:123456789012:function:f:prod"
)

var (
	signTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	testKeys = keys{testAKID: testSecret}
	testCred = aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	binary   = []byte{0x00, 0xff, 0x10, '\r', '\n', 0x80, 0x7f, '{', 0x00}
)

func testVerifier() *sigv4.Verifier {
	return &sigv4.Verifier{Region: testRegion, Keys: testKeys, Now: func() time.Time { return signTime }}
}

// signCase is one request the SDK's signer signs and the verifier must accept.
type signCase struct {
	name     string
	method   string
	target   string // path and query, as the client would send them
	body     []byte
	unsigned bool // X-Amz-Content-Sha256: UNSIGNED-PAYLOAD
	hashHdr  bool // X-Amz-Content-Sha256: <sha256 of body>, as S3 clients send
	opaque   bool // the path pre-escaped in URL.Opaque, as the signer's docs advise
	header   http.Header
}

var signCases = []signCase{
	{name: "invoke", method: "POST", target: "/2015-03-31/functions/my-fn/invocations",
		body: []byte(`{"hello":"world"}`), header: http.Header{
			"Content-Type":          {"application/json"},
			"X-Amz-Invocation-Type": {"RequestResponse"},
			"X-Amz-Log-Type":        {"Tail"},
		}},
	{name: "invoke empty body", method: "POST", target: "/2015-03-31/functions/my-fn/invocations"},
	{name: "invoke binary body", method: "POST", target: "/2015-03-31/functions/my-fn/invocations", body: binary,
		header: http.Header{"Content-Type": {"application/octet-stream"}}},
	{name: "invoke unsigned payload", method: "POST", target: "/2015-03-31/functions/my-fn/invocations",
		body: binary, unsigned: true},
	{name: "invoke payload hash header", method: "POST", target: "/2015-03-31/functions/my-fn/invocations",
		body: []byte(`{}`), hashHdr: true},
	{name: "invoke qualified ARN escaped", method: "POST",
		target: "/2015-03-31/functions/" + strings.ReplaceAll(qualified, ":", "%3A") + "/invocations", body: []byte(`{}`)},
	{name: "invoke qualified ARN colons raw", method: "POST",
		target: "/2015-03-31/functions/" + qualified + "/invocations", body: []byte(`{}`)},
	{name: "list functions", method: "GET", target: "/2015-03-31/functions/"},
	{name: "list functions paged", method: "GET", target: "/2015-03-31/functions/?Marker=x&MaxItems=10"},
	{name: "list functions query needing escapes", method: "GET",
		target: "/2015-03-31/functions/?Marker=a%2Fb%3D%3D&MaxItems=10&FunctionVersion=ALL&z=a+b&z=%20a"},
	{name: "get function with qualifier", method: "GET", target: "/2015-03-31/functions/my-fn?Qualifier=%24LATEST"},
	{name: "path with spaces", method: "GET", target: "/2015-03-31/functions/my%20fn%20x/configuration"},
	{name: "path with reserved characters", method: "GET",
		target: "/2015-03-31/functions/a%2Fb%25c%2Bd!$&'()*,;=@/configuration"},
	{name: "path pre-escaped in URL.Opaque", method: "GET", opaque: true,
		target: "/2015-03-31/functions/a%3Ab%2Fc%20d/configuration?Qualifier=1"},
	{name: "delete function", method: "DELETE", target: "/2015-03-31/functions/my-fn?Qualifier=1"},
	{name: "put concurrency", method: "PUT", target: "/2017-10-31/functions/my-fn/concurrency",
		body:   []byte(`{"ReservedConcurrentExecutions":5}`),
		header: http.Header{"Content-Type": {"application/json"}}},
	{name: "header values with repeated spaces and repeats", method: "PUT",
		target: "/2015-03-31/functions/my-fn/code", body: []byte(`{"ZipFile":"UEs="}`), header: http.Header{
			"Content-Type": {"application/json"},
			"X-Custom":     {"  a   b  c ", "second   value", "third"},
		}},
}

// newRequest builds the client-side request of c, aimed at base (a scheme://host).
func (c signCase) newRequest(t testing.TB, base string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(c.method, base+c.target, bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.body) == 0 {
		r.Body, r.ContentLength = http.NoBody, 0
	}
	if c.opaque { // sent in absolute form: GET https://host/path HTTP/1.1
		r.URL.Opaque = "//" + r.URL.Host + r.URL.EscapedPath()
	}
	for k, vs := range c.header {
		r.Header[k] = append([]string(nil), vs...)
	}
	switch {
	case c.unsigned:
		r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	case c.hashHdr:
		r.Header.Set("X-Amz-Content-Sha256", sha256Hex(c.body))
	}
	return r
}

func (c signCase) payloadHash() string {
	if c.unsigned {
		return "UNSIGNED-PAYLOAD"
	}
	return sha256Hex(c.body)
}

// signHTTP signs r as the SDK's Lambda client does (service "lambda", path escaping on). Each call
// uses a new Signer: a Signer caches derived keys by access key ID, not by secret, so a shared one
// would sign a wrong-secret case with the right key.
func signHTTP(t testing.TB, r *http.Request, payloadHash string, cred aws.Credentials, service, region string, at time.Time) {
	t.Helper()
	if err := v4.NewSigner().SignHTTP(context.Background(), cred, r, payloadHash, service, region, at); err != nil {
		t.Fatal(err)
	}
}

// presignHTTP presigns r for expires and returns the request a holder of the URL would send.
func presignHTTP(t testing.TB, r *http.Request, payloadHash string, body []byte, expires time.Duration, at time.Time) *http.Request {
	return presignHTTPWith(t, r, payloadHash, body, testCred, expires, at)
}

// presignHTTPWith presigns r with cred for expires and returns the request a holder of the URL
// would send.
func presignHTTPWith(t testing.TB, r *http.Request, payloadHash string, body []byte, cred aws.Credentials, expires time.Duration, at time.Time) *http.Request {
	t.Helper()
	q := r.URL.Query()
	q.Set("X-Amz-Expires", strconv.Itoa(int(expires/time.Second)))
	r.URL.RawQuery = q.Encode()
	signed, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), cred, r, payloadHash, "lambda", testRegion, at)
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest(r.Method, signed, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(body) == 0 {
		out.Body, out.ContentLength = http.NoBody, 0
	}
	for k, vs := range hdr {
		if k != "Host" {
			out.Header[k] = vs
		}
	}
	for k, vs := range r.Header { // unsigned headers travel too
		if _, ok := out.Header[k]; !ok {
			out.Header[k] = vs
		}
	}
	return out
}

// verifyOverHTTP starts a server that verifies requests as the gateway would, after net/http
// has parsed them off the wire, sends it the request build returns for the server's base URL,
// and returns what Verify returned there.
func verifyOverHTTP(t *testing.T, v *sigv4.Verifier, build func(base string) *http.Request) (string, error) {
	t.Helper()
	type result struct {
		akid string
		err  error
	}
	got := make(chan result, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			got <- result{err: err}
			return
		}
		akid, err := v.Verify(req.Context(), req, body)
		got <- result{akid, err}
	}))
	defer srv.Close()
	resp, err := srv.Client().Do(build(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close() // the body is empty; nothing to report
	res := <-got
	return res.akid, res.err
}

func TestVerifySignHTTP(t *testing.T) {
	for _, c := range signCases {
		t.Run(c.name, func(t *testing.T) {
			r := c.newRequest(t, "https://lambda.us-east-1.amazonaws.com")
			signHTTP(t, r, c.payloadHash(), testCred, "lambda", testRegion, signTime)
			if akid, err := testVerifier().Verify(context.Background(), r, c.body); err != nil || akid != testAKID {
				t.Fatalf("client-side request: Verify = %q, %v; want %q", akid, err, testAKID)
			}
		})
		t.Run(c.name+" over HTTP", func(t *testing.T) {
			akid, err := verifyOverHTTP(t, testVerifier(), func(base string) *http.Request {
				r := c.newRequest(t, base)
				signHTTP(t, r, c.payloadHash(), testCred, "lambda", testRegion, signTime)
				return r
			})
			if err != nil || akid != testAKID {
				t.Fatalf("server-side request: Verify = %q, %v; want %q", akid, err, testAKID)
			}
		})
	}
}

func TestVerifyPresignHTTP(t *testing.T) {
	for _, c := range signCases {
		t.Run(c.name, func(t *testing.T) {
			r := c.newRequest(t, "https://lambda.us-east-1.amazonaws.com")
			pr := presignHTTP(t, r, c.payloadHash(), c.body, 15*time.Minute, signTime)
			if pr.Header.Get("Authorization") != "" || pr.URL.Query().Get("X-Amz-Signature") == "" {
				t.Fatalf("not a presigned request: %s %v", pr.URL, pr.Header)
			}
			v := testVerifier()
			v.Now = func() time.Time { return signTime.Add(14 * time.Minute) } // inside X-Amz-Expires, past MaxSkew
			if akid, err := v.Verify(context.Background(), pr, c.body); err != nil || akid != testAKID {
				t.Fatalf("client-side request: Verify = %q, %v; want %q", akid, err, testAKID)
			}
			akid, err := verifyOverHTTP(t, v, func(base string) *http.Request {
				return presignHTTP(t, c.newRequest(t, base), c.payloadHash(), c.body, 15*time.Minute, signTime)
			})
			if err != nil || akid != testAKID {
				t.Fatalf("server-side request: Verify = %q, %v; want %q", akid, err, testAKID)
			}
		})
	}
}
