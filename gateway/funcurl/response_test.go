package funcurl_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdock/lambdock/gateway/funcurl"
)

// TestResponseFromLambdaFunctionURLResponse maps what a Go function returns back byte for byte.
func TestResponseFromLambdaFunctionURLResponse(t *testing.T) {
	png := []byte{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0xff}
	payload, err := json.Marshal(events.LambdaFunctionURLResponse{
		StatusCode:      http.StatusCreated,
		Headers:         map[string]string{"Content-Type": "image/png", "x-custom": "a,b"},
		Body:            base64.StdEncoding.EncodeToString(png),
		IsBase64Encoded: true,
		Cookies:         []string{"c1=v1; Max-Age=60", "c2=v2; Path=/; HttpOnly"},
	})
	if err != nil {
		t.Fatal(err)
	}
	status, header, body, err := funcurl.Response(payload)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusCreated {
		t.Errorf("status %d, want 201", status)
	}
	want := http.Header{
		"Content-Type": {"image/png"},
		"X-Custom":     {"a,b"},
		"Set-Cookie":   {"c1=v1; Max-Age=60", "c2=v2; Path=/; HttpOnly"},
	}
	if !reflect.DeepEqual(header, want) {
		t.Errorf("header %v, want %v", header, want)
	}
	if !bytes.Equal(body, png) {
		t.Errorf("body %x, want %x", body, png)
	}
}

func TestResponse(t *testing.T) {
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name       string
		payload    string
		wantStatus int
		wantHeader http.Header
		wantBody   string
	}{
		// Results without statusCode: 200 application/json, the result as the body.
		{"string is sent as its text", `"hello"`, 200, jsonCT, `hello`},
		{"string with escapes", `"a\"b\u00e9\n"`, 200, jsonCT, "a\"bé\n"},
		{"object is compacted", "{\"hello\": \"world\"}\n", 200, jsonCT, `{"hello":"world"}`},
		{"array is compacted", `["hello", 3, true]`, 200, jsonCT, `["hello",3,true]`},
		{"integer", `3`, 200, jsonCT, `3`},
		{"float", `3.1`, 200, jsonCT, `3.1`},
		{"boolean", `true`, 200, jsonCT, `true`},
		{"null", `null`, 200, jsonCT, `null`},
		{"object without statusCode is all body",
			`{"body": "x", "headers": {"A": "b"}}`, 200, jsonCT, `{"body":"x","headers":{"A":"b"}}`},
		{"statusCode null counts as absent", `{"statusCode": null, "body": "x"}`, 200, jsonCT,
			`{"statusCode":null,"body":"x"}`},

		// Results with statusCode.
		{"status and body", `{"statusCode": 200, "body": "body123"}`, 200, jsonCT, `body123`},
		{"statusCode as a string", `{"statusCode": "418", "body": "i'm a teapot"}`, 418, jsonCT, `i'm a teapot`},
		{"content-type from headers wins, any case",
			`{"statusCode": 201, "headers": {"content-type": "text/html", "My-Custom-Header": "Custom Value"}, "body": "<p>"}`,
			201, http.Header{"Content-Type": {"text/html"}, "My-Custom-Header": {"Custom Value"}}, `<p>`},
		{"no body", `{"statusCode": 204}`, 204, jsonCT, ``},
		{"null members", `{"statusCode": 200, "headers": null, "cookies": null, "body": null, "isBase64Encoded": null}`,
			200, jsonCT, ``},
		{"object body is sent as compact JSON",
			`{"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": {"args": {"q": "1"}, "n": [1, 2]}}`,
			200, jsonCT, `{"args":{"q":"1"},"n":[1,2]}`},
		{"number and boolean header values",
			`{"statusCode": 200, "headers": {"X-Count": 3, "X-Ok": true, "X-Skip": null}}`,
			200, http.Header{"Content-Type": {"application/json"}, "X-Count": {"3"}, "X-Ok": {"true"}}, ``},
		{"cookies come before a Set-Cookie header",
			`{"statusCode": 200, "headers": {"Set-Cookie": "h=1"}, "cookies": ["a=1", "b=2"]}`,
			200, http.Header{"Content-Type": {"application/json"}, "Set-Cookie": {"a=1", "b=2", "h=1"}}, ``},
		{"unpadded base64", `{"statusCode": 200, "body": "aGk", "isBase64Encoded": true}`, 200, jsonCT, `hi`},
		{"isBase64Encoded false leaves base64-looking text alone",
			`{"statusCode": 200, "body": "aGk=", "isBase64Encoded": false}`, 200, jsonCT, `aGk=`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, header, body, err := funcurl.Response([]byte(tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d", status, tt.wantStatus)
			}
			if !reflect.DeepEqual(header, tt.wantHeader) {
				t.Errorf("header %v, want %v", header, tt.wantHeader)
			}
			if string(body) != tt.wantBody {
				t.Errorf("body %q, want %q", body, tt.wantBody)
			}
		})
	}
}

func TestResponseMalformed(t *testing.T) {
	for _, payload := range []string{
		``,
		`hello`,
		`{"statusCode": 200`,
		"\x00\x00\x00\x00\x00\x00\x00\x00",
		`{"statusCode": true}`,
		`{"statusCode": {}}`,
		`{"statusCode": "abc"}`,
		`{"statusCode": 200.5}`,
		`{"statusCode": 99}`,
		`{"statusCode": 600}`,
		`{"statusCode": 200, "headers": ["a"]}`,
		`{"statusCode": 200, "headers": {"A": {"b": 1}}}`,
		`{"statusCode": 200, "headers": {"A": ["b"]}}`,
		`{"statusCode": 200, "cookies": "a=1"}`,
		`{"statusCode": 200, "cookies": [1]}`,
		`{"statusCode": 200, "isBase64Encoded": "true"}`,
		`{"statusCode": 200, "body": "not base64!", "isBase64Encoded": true}`,
		`{"statusCode": 200, "body": {"a": 1}, "isBase64Encoded": true}`,
	} {
		status, header, body, err := funcurl.Response([]byte(payload))
		if !errors.Is(err, funcurl.ErrMalformed) {
			t.Errorf("Response(%q) = %d %v %q, %v; want ErrMalformed", payload, status, header, body, err)
		}
	}
}

func TestFailureResponse(t *testing.T) {
	const id = "4d5e1b9a-7c1f-4e34-9a51-0b8c2f6d7e11"
	tests := []struct {
		failure   funcurl.Failure
		status    int
		errorType string
		body      string
	}{
		{funcurl.FunctionError, 502, "", "Internal Server Error"},
		{funcurl.Timeout, 502, "", "Internal Server Error"},
		{funcurl.Throttled, 429, "TooManyRequestsException", `{"Message":"Rate Exceeded."}`},
		{funcurl.HostFull, 429, "TooManyRequestsException", `{"Message":"Rate Exceeded."}`},
		{funcurl.NoSuchURL, 403, "AccessDeniedException", `{"Message":null}`},
		{funcurl.Forbidden, 403, "AccessDeniedException",
			`{"Message":"Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}`},
	}
	for _, tt := range tests {
		t.Run(tt.failure.String(), func(t *testing.T) {
			status, header, body := tt.failure.Response(id)
			if status != tt.status || string(body) != tt.body {
				t.Errorf("%d %q, want %d %q", status, body, tt.status, tt.body)
			}
			if got := header.Get("x-amzn-RequestId"); got != id {
				t.Errorf("x-amzn-RequestId %q, want %q", got, id)
			}
			if got := header.Get("x-amzn-ErrorType"); got != tt.errorType {
				t.Errorf("x-amzn-ErrorType %q, want %q", got, tt.errorType)
			}
			if got := header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type %q", got)
			}
		})
	}
	if _, header, _ := funcurl.FunctionError.Response(""); header.Get("x-amzn-RequestId") != "" {
		t.Errorf("x-amzn-RequestId set without a request id: %v", header)
	}
}
