package funcurl

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// ErrMalformed is wrapped by every error Response returns: the result cannot become an HTTP
// response, and the caller answers with FunctionError (502).
var ErrMalformed = errors.New("malformed function URL result")

// Response maps a buffered (InvokeMode BUFFERED) function result to the HTTP response a function
// URL sends (lambda-api.md §5.2; DG urls-invocation.md "Response payload format").
//
// A JSON object with a statusCode member is read as {statusCode, headers, cookies, body,
// isBase64Encoded}: statusCode may be a number or a numeric string ("418" works on AWS), each
// cookie becomes its own Set-Cookie header (before any Set-Cookie the headers name), a body that
// is not a string is sent as compact JSON, and Content-Type is application/json unless headers
// set it.
//
// Any other JSON is the body of a 200 application/json response: a string is sent as its text
// ("hello" → hello), anything else as compact JSON. This is what AWS returned when LocalStack
// recorded it in 2025 (test_lambda_url_invocation[string|dict|list-mixed]: content "hello" with
// Content-Length 5, {"hello": "world"} with Content-Length 17), not the quoted form the 2021 DG
// table shows.
//
// A result that is not JSON, an invalid statusCode, a headers, cookies or isBase64Encoded member
// of the wrong type, or a body that is not valid base64 while isBase64Encoded is true yields an
// error wrapping ErrMalformed.
func Response(payload []byte) (status int, header http.Header, body []byte, err error) {
	payload = bytes.TrimSpace(payload)
	if !json.Valid(payload) {
		return 0, nil, nil, fmt.Errorf("%w: not JSON", ErrMalformed)
	}
	var fields map[string]json.RawMessage
	if payload[0] == '{' {
		if err := json.Unmarshal(payload, &fields); err != nil {
			return 0, nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	if sc, ok := fields["statusCode"]; !ok || isNull(sc) {
		body, err := inferredBody(payload)
		if err != nil {
			return 0, nil, nil, err
		}
		return http.StatusOK, http.Header{"Content-Type": {"application/json"}}, body, nil
	}

	if status, err = parseStatus(fields["statusCode"]); err != nil {
		return 0, nil, nil, err
	}
	var headers map[string]json.RawMessage
	if err := decodeMember(fields, "headers", &headers); err != nil {
		return 0, nil, nil, err
	}
	var cookies []string
	if err := decodeMember(fields, "cookies", &cookies); err != nil {
		return 0, nil, nil, err
	}
	var b64 bool
	if err := decodeMember(fields, "isBase64Encoded", &b64); err != nil {
		return 0, nil, nil, err
	}
	values, err := headerValues(headers)
	if err != nil {
		return 0, nil, nil, err
	}
	header = buildHeader(values, cookies)
	if header.Get("Content-Type") == "" {
		header.Set("Content-Type", "application/json")
	}
	if body, err = resultBody(fields["body"], b64); err != nil {
		return 0, nil, nil, err
	}
	return status, header, body, nil
}

// inferredBody is the body of a result without statusCode: a JSON string's text, else the JSON
// itself without insignificant whitespace.
func inferredBody(payload []byte) ([]byte, error) {
	if payload[0] == '"' {
		var s string
		if err := json.Unmarshal(payload, &s); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		return []byte(s), nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, payload); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return buf.Bytes(), nil
}

// resultBody decodes the body member: absent or null is empty, a string is its text (base64-decoded
// when isBase64Encoded), other JSON is sent compact.
func resultBody(raw json.RawMessage, b64 bool) ([]byte, error) {
	if len(raw) == 0 || isNull(raw) {
		return nil, nil
	}
	if raw[0] != '"' {
		if b64 {
			return nil, fmt.Errorf("%w: isBase64Encoded with a body that is not a string", ErrMalformed)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return nil, fmt.Errorf("%w: body: %v", ErrMalformed, err)
		}
		return buf.Bytes(), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%w: body: %v", ErrMalformed, err)
	}
	if !b64 {
		return []byte(s), nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		// Tolerate missing padding, which some encoders omit.
		if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err != nil {
			return nil, fmt.Errorf("%w: body is not base64: %v", ErrMalformed, err)
		}
	}
	return b, nil
}

// parseStatus accepts an integer or a string holding one, in 100–599.
func parseStatus(raw json.RawMessage) (int, error) {
	var text string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, fmt.Errorf("%w: statusCode: %v", ErrMalformed, err)
		}
		text = strings.TrimSpace(text)
	} else {
		text = string(raw)
	}
	code, err := strconv.Atoi(text)
	if err != nil || code < 100 || code > 599 {
		return 0, fmt.Errorf("%w: statusCode %s is not an HTTP status", ErrMalformed, raw)
	}
	return code, nil
}

// headerValues reads the headers member: string values as they are, numbers and booleans as
// written, null skipped; objects and arrays are malformed.
func headerValues(headers map[string]json.RawMessage) (map[string]string, error) {
	values := make(map[string]string, len(headers))
	for name, raw := range headers {
		if isNull(raw) {
			continue
		}
		switch raw[0] {
		case '"':
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, fmt.Errorf("%w: header %q: %v", ErrMalformed, name, err)
			}
			values[name] = v
		case '{', '[':
			return nil, fmt.Errorf("%w: header %q is not a string", ErrMalformed, name)
		default: // a number or a boolean
			values[name] = string(raw)
		}
	}
	return values, nil
}

// buildHeader turns headers and cookies into an http.Header. Cookies come first among Set-Cookie
// values: AWS sends both when a function also puts Set-Cookie in headers, array entries first
// (ministack apigateway.py, observed on payload v2.0).
func buildHeader(headers map[string]string, cookies []string) http.Header {
	h := make(http.Header, len(headers)+1)
	for _, c := range cookies {
		h.Add("Set-Cookie", c)
	}
	for name, v := range headers {
		h.Add(name, v)
	}
	return h
}

// decodeMember unmarshals fields[name] into v unless it is absent or null.
func decodeMember(fields map[string]json.RawMessage, name string, v any) error {
	raw, ok := fields[name]
	if !ok || isNull(raw) {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrMalformed, name, err)
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	return string(raw) == "null"
}
