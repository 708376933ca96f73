package funcurl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// StreamContentType is the Content-Type of a streamed response that starts with a prelude: what
// aws-lambda-go's events.LambdaFunctionURLStreamingResponse (and so lambdaurl.Wrap) and Node's
// awslambda.HttpResponseStream declare (lambda-api.md §1.9).
const StreamContentType = "application/vnd.awslambda.http-integration-response"

// MaxPreludeSize bounds the JSON prelude ReadPrelude looks for; API Gateway requires the prelude
// within the first 16 KB of a stream (lambda-api.md §1.9).
const MaxPreludeSize = 16 << 10

// preludeEnd is what separates the prelude from the body: 8 NUL bytes (aws-lambda-go
// events/lambda_function_urls.go, LambdaFunctionURLStreamingResponse.Read).
var preludeEnd = make([]byte, 8)

// Prelude is the status, headers and cookies a RESPONSE_STREAM function sends before its body.
type Prelude struct {
	StatusCode int
	Headers    map[string]string
	Cookies    []string
}

// Header is the prelude's headers plus one Set-Cookie per cookie, cookies first. It adds no
// Content-Type: a streamed response has none unless the function sends one (and net/http would
// sniff one from the first bytes if the caller does not set it).
func (p Prelude) Header() http.Header {
	return buildHeader(p.Headers, p.Cookies)
}

// ReadPrelude reads the prelude at the start of a streamed response, leaving r at the first byte
// of the body. The prelude is the JSON object {"statusCode":…,"headers":{…},"cookies":[…]}
// immediately followed by 8 NUL bytes, as lambdaurl.Wrap writes it; a missing statusCode (or 0)
// is 200, as in events.LambdaFunctionURLStreamingResponse.
//
// A stream that does not start with such a prelude is all body with status 200, and nothing is
// consumed: one that does not start with "{", or whose leading JSON value is not followed by the
// 8 NUL bytes, or that has no complete prelude within MaxPreludeSize bytes (or r's buffer, if
// smaller; make r with bufio.NewReaderSize(body, MaxPreludeSize+8) to allow the whole bound). A
// stream that starts with "{" waits for the object to end, at most MaxPreludeSize bytes or EOF,
// before ReadPrelude returns; any other stream returns after its first byte.
//
// A prelude whose statusCode, headers or cookies have the wrong type is an error wrapping
// ErrMalformed; a read error other than io.EOF is returned as it is.
func ReadPrelude(r *bufio.Reader) (Prelude, error) {
	noPrelude := Prelude{StatusCode: http.StatusOK}
	limit := min(MaxPreludeSize+len(preludeEnd), r.Size())
	want := 1
	for {
		_, err := r.Peek(want)
		buf, _ := r.Peek(r.Buffered()) // all that is buffered; this never reads
		n, object, found := scanPrelude(buf)
		if found {
			if object == nil {
				return noPrelude, nil
			}
			p, err := parsePrelude(object)
			if err != nil {
				return Prelude{}, err
			}
			if _, err := r.Discard(n); err != nil {
				return Prelude{}, err
			}
			return p, nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, bufio.ErrBufferFull) {
				return noPrelude, nil
			}
			return Prelude{}, err
		}
		if len(buf) >= limit {
			return noPrelude, nil
		}
		want = min(len(buf)+1, limit)
	}
}

// scanPrelude decides from the start of a stream whether it has a prelude. found with a non-nil
// object: the prelude is object and takes the first n bytes. found with a nil object: there is
// none. Not found: more bytes are needed to tell.
func scanPrelude(buf []byte) (n int, object json.RawMessage, found bool) {
	start := len(buf) - len(bytes.TrimLeft(buf, " \t\r\n"))
	if start == len(buf) {
		return 0, nil, false
	}
	if buf[start] != '{' {
		return 0, nil, true
	}
	dec := json.NewDecoder(bytes.NewReader(buf))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return 0, nil, false
		}
		return 0, nil, true // not JSON: a body that happens to start with "{"
	}
	end := int(dec.InputOffset())
	after := buf[end:]
	if len(after) > len(preludeEnd) {
		after = after[:len(preludeEnd)]
	}
	if !bytes.Equal(after, preludeEnd[:len(after)]) {
		return 0, nil, true // JSON followed by something else: a JSON body
	}
	if len(after) < len(preludeEnd) {
		return 0, nil, false
	}
	return end + len(preludeEnd), raw, true
}

func parsePrelude(object json.RawMessage) (Prelude, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(object, &fields); err != nil {
		return Prelude{}, fmt.Errorf("%w: prelude: %v", ErrMalformed, err)
	}
	p := Prelude{StatusCode: http.StatusOK}
	if raw, ok := fields["statusCode"]; ok && !isNull(raw) && string(raw) != "0" {
		code, err := parseStatus(raw)
		if err != nil {
			return Prelude{}, fmt.Errorf("prelude: %w", err)
		}
		p.StatusCode = code
	}
	var headers map[string]json.RawMessage
	if err := decodeMember(fields, "headers", &headers); err != nil {
		return Prelude{}, fmt.Errorf("prelude: %w", err)
	}
	values, err := headerValues(headers)
	if err != nil {
		return Prelude{}, fmt.Errorf("prelude: %w", err)
	}
	if len(values) > 0 {
		p.Headers = values
	}
	if err := decodeMember(fields, "cookies", &p.Cookies); err != nil {
		return Prelude{}, fmt.Errorf("prelude: %w", err)
	}
	return p, nil
}
