package funcurl_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdaurl"

	"github.com/lambdock/lambdock/gateway/funcurl"
)

// TestReadPreludeFromLambdaurlWrap runs aws-lambda-go's lambdaurl.Wrap in process on an event
// built by Event, and reads what it streams back: the bytes a Go RESPONSE_STREAM function sends.
func TestReadPreludeFromLambdaurlWrap(t *testing.T) {
	// The body has 8 NUL bytes of its own, which must not be taken for the separator.
	body := append([]byte("chunk one|"), append(make([]byte, 8), "|chunk two"...)...)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("X-Echo-Path", r.URL.Path)
		w.Header().Set("X-Echo-Body", string(in))
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "2", HttpOnly: true})
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write(body[:10]) // the pipe to the reader below cannot fail before it is closed
		_, _ = w.Write(body[10:])
	})

	r := httptest.NewRequest(http.MethodPost, "http://gw/fn/f/stream/me", strings.NewReader("ping"))
	r.Header.Set("Content-Type", "text/plain")
	i := info()
	i.Path = "/stream/me"
	payload, err := funcurl.Event(r, []byte("ping"), i)
	if err != nil {
		t.Fatal(err)
	}
	var req events.LambdaFunctionURLRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		t.Fatal(err)
	}
	resp, err := lambdaurl.Wrap(handler)(context.Background(), &req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ContentType() != funcurl.StreamContentType {
		t.Errorf("lambdaurl declares %q, StreamContentType is %q", resp.ContentType(), funcurl.StreamContentType)
	}

	br := bufio.NewReaderSize(iotest.HalfReader(resp), funcurl.MaxPreludeSize+8)
	p, err := funcurl.ReadPrelude(br)
	if err != nil {
		t.Fatal(err)
	}
	want := funcurl.Prelude{
		StatusCode: http.StatusAccepted,
		Headers: map[string]string{
			"Content-Type": "application/octet-stream",
			"X-Echo-Path":  "/stream/me",
			"X-Echo-Body":  "ping",
		},
		Cookies: []string{"a=1", "b=2; HttpOnly"},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("prelude %+v, want %+v", p, want)
	}
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rest, body) {
		t.Errorf("body %q, want %q", rest, body)
	}
	h := p.Header()
	if got := h.Values("Set-Cookie"); !reflect.DeepEqual(got, []string{"a=1", "b=2; HttpOnly"}) {
		t.Errorf("Set-Cookie %q", got)
	}
	if h.Get("Content-Type") != "application/octet-stream" || h.Get("X-Echo-Path") != "/stream/me" {
		t.Errorf("Header() = %v", h)
	}
}

// TestReadPreludeLambdaurlDefaults: a handler that writes nothing gets lambdaurl's defaults, which
// serialize as {"statusCode":200} and an empty body.
func TestReadPreludeLambdaurlDefaults(t *testing.T) {
	resp, err := lambdaurl.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))(
		context.Background(), &events.LambdaFunctionURLRequest{RawPath: "/",
			RequestContext: events.LambdaFunctionURLRequestContext{HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: "GET"}}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\"statusCode\":200}\x00\x00\x00\x00\x00\x00\x00\x00"; string(raw) != want {
		t.Fatalf("lambdaurl wrote %q, want %q", raw, want)
	}
	br := bufio.NewReader(bytes.NewReader(raw))
	p, err := funcurl.ReadPrelude(br)
	if err != nil || !reflect.DeepEqual(p, funcurl.Prelude{StatusCode: 200}) {
		t.Fatalf("ReadPrelude = %+v, %v", p, err)
	}
	if n, _ := br.Read(make([]byte, 1)); n != 0 {
		t.Fatalf("body not empty")
	}
}

func TestReadPrelude(t *testing.T) {
	const sep = "\x00\x00\x00\x00\x00\x00\x00\x00"
	big := `{"statusCode":200,"headers":{"X-Big":"` + strings.Repeat("x", funcurl.MaxPreludeSize) + `"}}` + sep + "body"
	tests := []struct {
		name     string
		stream   string
		oneByte  bool // deliver the stream one byte per Read
		want     funcurl.Prelude
		wantBody string
	}{
		{"prelude with everything", `{"statusCode":404,"headers":{"Content-Type":"text/plain","X-N":7},"cookies":["c=1","d=2"]}` + sep + "not found",
			false, funcurl.Prelude{StatusCode: 404, Headers: map[string]string{"Content-Type": "text/plain", "X-N": "7"},
				Cookies: []string{"c=1", "d=2"}}, "not found"},
		{"prelude delivered a byte at a time", `{"statusCode":201}` + sep + "ok", true,
			funcurl.Prelude{StatusCode: 201}, "ok"},
		{"no statusCode is 200", `{"headers":{"A":"b"}}` + sep + "x", false,
			funcurl.Prelude{StatusCode: 200, Headers: map[string]string{"A": "b"}}, "x"},
		{"statusCode 0 is 200", `{"statusCode":0}` + sep, false, funcurl.Prelude{StatusCode: 200}, ""},
		{"statusCode as a string", ` {"statusCode":"418"}` + sep + "tea", false, funcurl.Prelude{StatusCode: 418}, "tea"},
		{"empty stream", "", false, funcurl.Prelude{StatusCode: 200}, ""},
		{"plain text has no prelude", "Hello, world!", false, funcurl.Prelude{StatusCode: 200}, "Hello, world!"},
		{"binary with NULs has no prelude", "\x89PNG" + sep + "{}", false, funcurl.Prelude{StatusCode: 200}, "\x89PNG" + sep + "{}"},
		{"a JSON body has no prelude", `{"a":1}` + "\n" + `{"a":2}`, false, funcurl.Prelude{StatusCode: 200}, `{"a":1}` + "\n" + `{"a":2}`},
		{"JSON then too few NULs", `{"a":1}` + "\x00\x00\x00x", true, funcurl.Prelude{StatusCode: 200}, `{"a":1}` + "\x00\x00\x00x"},
		{"JSON cut short by EOF", `{"statusCode":200`, false, funcurl.Prelude{StatusCode: 200}, `{"statusCode":200`},
		{"not JSON after {", `{oops}` + sep, false, funcurl.Prelude{StatusCode: 200}, `{oops}` + sep},
		{"prelude beyond the bound is body", big, false, funcurl.Prelude{StatusCode: 200}, big},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var src io.Reader = strings.NewReader(tt.stream)
			if tt.oneByte {
				src = iotest.OneByteReader(src)
			}
			br := bufio.NewReaderSize(src, funcurl.MaxPreludeSize+8)
			p, err := funcurl.ReadPrelude(br)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, tt.want) {
				t.Errorf("prelude %+v, want %+v", p, tt.want)
			}
			rest, err := io.ReadAll(br)
			if err != nil {
				t.Fatal(err)
			}
			if string(rest) != tt.wantBody {
				t.Errorf("body %q, want %q", rest, tt.wantBody)
			}
		})
	}
}

func TestReadPreludeErrors(t *testing.T) {
	const sep = "\x00\x00\x00\x00\x00\x00\x00\x00"
	for _, stream := range []string{
		`{"statusCode":true}` + sep,
		`{"statusCode":700}` + sep,
		`{"headers":["a"]}` + sep,
		`{"headers":{"a":{}}}` + sep,
		`{"cookies":"a=1"}` + sep,
	} {
		_, err := funcurl.ReadPrelude(bufio.NewReader(strings.NewReader(stream)))
		if !errors.Is(err, funcurl.ErrMalformed) {
			t.Errorf("ReadPrelude(%q) error %v, want ErrMalformed", stream, err)
		}
	}
	boom := errors.New("connection reset")
	_, err := funcurl.ReadPrelude(bufio.NewReader(io.MultiReader(strings.NewReader(`{"statusCode":`), iotest.ErrReader(boom))))
	if !errors.Is(err, boom) {
		t.Errorf("read error %v, want %v", err, boom)
	}
}

// TestReadPreludeDoesNotWaitForRawBodies: a stream without a prelude must reach the client as it
// is produced, so ReadPrelude may not wait for more once the start rules a prelude out.
func TestReadPreludeDoesNotWaitForRawBodies(t *testing.T) {
	for _, start := range []string{
		"data: tick\n\n",     // an SSE stream that stays open
		`{"event":1}` + "\n", // newline-delimited JSON
		`[1, 2`,              // a JSON array still being written
		`"partial`,           // a JSON string still being written
	} {
		t.Run(start, func(t *testing.T) {
			pr, pw := io.Pipe()
			defer pw.Close()
			go func() {
				_, _ = pw.Write([]byte(start)) // fails only once the test has ended and closed pr
			}()
			type result struct {
				p   funcurl.Prelude
				err error
			}
			done := make(chan result, 1)
			br := bufio.NewReaderSize(pr, funcurl.MaxPreludeSize+8)
			go func() {
				p, err := funcurl.ReadPrelude(br)
				done <- result{p, err}
			}()
			select {
			case r := <-done:
				if r.err != nil || r.p.StatusCode != 200 {
					t.Fatalf("ReadPrelude = %+v, %v", r.p, r.err)
				}
			case <-time.After(5 * time.Second):
				pr.Close() // ends the ReadPrelude still waiting
				<-done
				t.Fatal("ReadPrelude waited for more of a stream without a prelude")
			}
			got := make([]byte, len(start))
			if _, err := io.ReadFull(br, got); err != nil || string(got) != start {
				t.Fatalf("body starts %q, %v; want %q", got, err, start)
			}
		})
	}
}
