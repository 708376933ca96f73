package lambdaclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// usagePath is the path of Lambdock's usage reports.
const usagePath = "/lambdock/v1/usage"

// UsageInput selects a usage report; zero fields are left to the gateway (every function, the
// caller's account or, for an admin, every account; the 30 days up to the end of today; by day).
type UsageInput struct {
	AccountID string
	Function  string
	From, To  time.Time
	By        string // hour, day, month or function
}

// Usage returns a usage report: usage and its cost (before the free tier) by bucket.
func (c *Client) Usage(ctx context.Context, in UsageInput) (*lambdaapi.UsageReport, error) {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("account", in.AccountID)
	set("function", in.Function)
	set("by", in.By)
	if !in.From.IsZero() {
		q.Set("from", in.From.UTC().Format(time.RFC3339Nano))
	}
	if !in.To.IsZero() {
		q.Set("to", in.To.UTC().Format(time.RFC3339Nano))
	}
	var out lambdaapi.UsageReport
	if err := c.call(ctx, request{method: http.MethodGet, path: usagePath, query: q}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListInvocationsInput selects a page of a function's invocation records; zero fields are left
// to the gateway (any start time, any status, 50 records, the first page).
type ListInvocationsInput struct {
	From   time.Time
	Status string // success, error, timeout or crash
	Limit  int
	Marker string
}

// ListInvocations lists one page of a function's invocation records, newest first.
func (c *Client) ListInvocations(ctx context.Context, function string, in ListInvocationsInput) (*lambdaapi.ListInvocationsOutput, error) {
	q := url.Values{}
	if !in.From.IsZero() {
		q.Set("from", in.From.UTC().Format(time.RFC3339Nano))
	}
	if in.Status != "" {
		q.Set("status", in.Status)
	}
	if in.Limit > 0 {
		q.Set("limit", strconv.Itoa(in.Limit))
	}
	if in.Marker != "" {
		q.Set("marker", in.Marker)
	}
	var out lambdaapi.ListInvocationsOutput
	path := "/lambdock/v1/functions/" + url.PathEscape(function) + "/invocations"
	if err := c.call(ctx, request{method: http.MethodGet, path: path, query: q}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
