package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// isURLEvent reports whether raw is a function URL (payload v2.0) event rather than a test op.
func isURLEvent(raw json.RawMessage) bool {
	var probe struct {
		Version string  `json:"version"`
		RawPath *string `json:"rawPath"`
	}
	return json.Unmarshal(raw, &probe) == nil && probe.Version == "2.0" && probe.RawPath != nil
}

// handleURL answers a function URL request by echoing it: the status is the query's status
// parameter (default 200); X-Method, X-Path, X-Query, X-Test-Header and X-Cookies report the
// method, rawPath, rawQueryString, the x-test header and the cookies joined with ";"; two
// cookies are set (c1, c2); the body is the request body byte for byte, base64-encoded.
func handleURL(raw json.RawMessage) (events.LambdaFunctionURLResponse, error) {
	var req events.LambdaFunctionURLRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return events.LambdaFunctionURLResponse{}, fmt.Errorf("bad function URL event: %w", err)
	}
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return events.LambdaFunctionURLResponse{}, fmt.Errorf("bad base64 body: %w", err)
		}
		body = b
	}
	status := 200
	if s := req.QueryStringParameters["status"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return events.LambdaFunctionURLResponse{}, fmt.Errorf("bad status %q", s)
		}
		status = n
	}
	return events.LambdaFunctionURLResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type":  "application/octet-stream",
			"X-Method":      req.RequestContext.HTTP.Method,
			"X-Path":        req.RawPath,
			"X-Query":       req.RawQueryString,
			"X-Test-Header": req.Headers["x-test"],
			"X-Cookies":     strings.Join(req.Cookies, ";"),
		},
		Cookies:         []string{"c1=one; Path=/", "c2=two; HttpOnly"},
		Body:            base64.StdEncoding.EncodeToString(body),
		IsBase64Encoded: true,
	}, nil
}
