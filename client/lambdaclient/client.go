// Package lambdaclient is a small HTTP client for the gateway's Lambda API, used by the lambdock
// CLI and by tests. It speaks plain net/http with the shapes of gateway/lambdaapi, signs requests
// with SigV4 when given credentials (WithCredentials; aws-sdk-go-v2's signer), and never retries
// (a retried invoke is a second invocation: the caller decides).
//
// Every non-2xx answer becomes a *APIError decoded as aws-sdk-go-v2 decodes Lambda errors: the
// code from the x-amzn-ErrorType header (or the body's code/__type), the message from the body's
// message field matched case-insensitively.
package lambdaclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// DefaultEndpoint is where a local lambdockd's gateway listens.
const DefaultEndpoint = "http://127.0.0.1:8070"

// maxResponse bounds how much of a response body is read (a 6 MB invoke result fits easily).
const maxResponse = 32 << 20

// Client talks to one gateway. It is safe for concurrent use.
type Client struct {
	endpoint string
	http     *http.Client
	upload   func(r io.Reader, size int64) io.Reader
	signer   *signer // nil: requests go unsigned
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: one without an overall timeout, since an invoke
// may run up to 15 minutes; use contexts to bound calls).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithUploadProgress wraps the bodies of code uploads (CreateFunction, UpdateFunctionCode) so that
// the caller can show progress; wrap gets the body and its size.
func WithUploadProgress(wrap func(r io.Reader, size int64) io.Reader) Option {
	return func(c *Client) { c.upload = wrap }
}

// New returns a client for the gateway at endpoint ("" means DefaultEndpoint).
func New(endpoint string, opts ...Option) *Client {
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	c := &Client{
		endpoint: strings.TrimRight(endpoint, "/"),
		http:     &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, IdleConnTimeout: 90 * time.Second}},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// With returns a copy of c with opts applied (e.g. an upload-progress hook for one deploy).
func (c *Client) With(opts ...Option) *Client {
	cp := *c
	for _, o := range opts {
		o(&cp)
	}
	return &cp
}

// Endpoint is the gateway's base URL.
func (c *Client) Endpoint() string { return c.endpoint }

// APIError is a Lambda API error answer (any non-2xx status).
type APIError struct {
	Status    int
	Code      string // x-amzn-ErrorType, e.g. ResourceNotFoundException
	Type      string // "User" or "Service"
	Message   string
	Reason    string // e.g. a throttle reason
	RequestID string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Message)
	if e.Reason != "" {
		s += " [" + e.Reason + "]"
	}
	return s
}

// IsNotFound reports whether err is a ResourceNotFoundException.
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == "ResourceNotFoundException"
}

// request is one API call.
type request struct {
	method  string
	path    string // already escaped
	query   url.Values
	header  http.Header
	body    []byte
	upload  bool // wrap the body with the upload-progress hook
	success int  // expected status; 0 accepts any 2xx
}

// response is a successful answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// send performs r and returns the answer, or a *APIError for a non-2xx status.
func (c *Client) send(ctx context.Context, r request) (*response, error) {
	u := c.endpoint + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
		if r.upload && c.upload != nil {
			body = c.upload(body, int64(len(r.body)))
		}
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("lambdaclient: build %s %s: %w", r.method, r.path, err)
	}
	if r.body != nil {
		req.ContentLength = int64(len(r.body))
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	if c.signer != nil {
		if err := c.signer.sign(ctx, req, r.body); err != nil {
			return nil, err
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("lambdaclient: %s %s: %w", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("lambdaclient: read %s %s: %w", r.method, r.path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, decodeError(resp, b)
	}
	if r.success != 0 && resp.StatusCode != r.success {
		return nil, fmt.Errorf("lambdaclient: %s %s: unexpected status %d", r.method, r.path, resp.StatusCode)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// call sends r with in as the JSON body (nil for none) and decodes the answer into out (nil to
// ignore it).
func (c *Client) call(ctx context.Context, r request, in, out any) error {
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("lambdaclient: encode %s %s: %w", r.method, r.path, err)
		}
		r.body = b
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	if out == nil || len(resp.body) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return fmt.Errorf("lambdaclient: decode %s %s: %w", r.method, r.path, err)
	}
	return nil
}

// decodeError builds the APIError of a non-2xx answer.
func decodeError(resp *http.Response, body []byte) *APIError {
	e := &APIError{Status: resp.StatusCode, RequestID: resp.Header.Get(lambdaapi.HeaderRequestID)}
	fields := map[string]any{}
	_ = json.Unmarshal(body, &fields) // a non-JSON body leaves only the status
	str := func(name string) string {
		for k, v := range fields {
			if s, ok := v.(string); ok && strings.EqualFold(k, name) {
				return s
			}
		}
		return ""
	}
	e.Code = resp.Header.Get(lambdaapi.HeaderErrorType)
	if e.Code == "" {
		e.Code = str("code")
	}
	if e.Code == "" {
		e.Code = str("__type")
	}
	if i := strings.IndexByte(e.Code, ':'); i >= 0 {
		e.Code = e.Code[:i]
	}
	if i := strings.LastIndexByte(e.Code, '#'); i >= 0 {
		e.Code = e.Code[i+1:]
	}
	if e.Code == "" {
		e.Code = http.StatusText(resp.StatusCode)
	}
	e.Message, e.Type, e.Reason = str("message"), str("Type"), str("Reason")
	if e.Message == "" && len(fields) == 0 {
		e.Message = strings.TrimSpace(string(body))
	}
	return e
}

// pageQuery is the page of a List call as query parameters: Marker and MaxItems, each only when
// set.
func pageQuery(marker string, maxItems int) url.Values {
	q := url.Values{}
	if marker != "" {
		q.Set("Marker", marker)
	}
	if maxItems > 0 {
		q.Set("MaxItems", strconv.Itoa(maxItems))
	}
	return q
}
