package e2e

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// TestFunctionURLStream serves an aws-lambda-go function written with lambdaurl.Wrap through a
// RESPONSE_STREAM function URL to a plain net/http client:
//   - the status, headers and first bytes reach the client from a function that never returns
//     (after its first write it waits past its timeout), so they came before it returned; the
//     response is then aborted by the timeout;
//   - chunks written 300 ms apart and a last one of 1 MB arrive byte for byte;
//   - the sync Invoke API still buffers the same function's streamed response.
func TestFunctionURLStream(t *testing.T) {
	need(t)
	dir := dataDir(t)
	l := start(t, newConfig(dir, "e2e-stream-"+randomID()))
	const fn = "e2e-stream"
	l.deploy(t, fn, memoryMB, 3)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	created, err := l.client.CreateFunctionURL(ctx, fn, &lambdaapi.FunctionURLConfigInput{
		AuthType: lambdaapi.AuthTypeNone, InvokeMode: lambdaapi.InvokeModeResponseStream})
	if err != nil {
		t.Fatal(err)
	}
	get := func(t *testing.T, query string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, created.FunctionURL+"stream?"+query, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-Stream") != "yes" || resp.Header.Get("Content-Type") != "text/plain" {
			t.Fatalf("%d %v: not the function's status and headers", resp.StatusCode, resp.Header)
		}
		return resp
	}

	t.Run("first chunk before the function returns", func(t *testing.T) {
		resp := get(t, "chunks=first+chunk&hold=1")
		body := bufio.NewReader(resp.Body)
		first := make([]byte, len("first chunk"))
		if _, err := io.ReadFull(body, first); err != nil || string(first) != "first chunk" {
			t.Fatalf("first chunk %q: %v", first, err)
		}
		// The function is still inside its handler; it times out, and the response cannot end well.
		rest, err := io.ReadAll(body)
		if len(rest) != 0 || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("after the first chunk: %q, %v; want an aborted response", rest, err)
		}
	})

	t.Run("every chunk byte for byte", func(t *testing.T) {
		const big = 1 << 20
		resp := get(t, "chunks=one,two,three&ms=300&bytes=1048576")
		got, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]byte, 0, big+11)
		want = append(want, "onetwothree"...)
		for i := range big {
			want = append(want, byte(i))
		}
		if string(got) != string(want) {
			t.Fatalf("%d bytes, want %d (equal prefix %v)", len(got), len(want), strings.HasPrefix(string(got), "onetwothree"))
		}
	})

	t.Run("Invoke still buffers", func(t *testing.T) {
		r := l.invoke(t, fn, `{"op":"stream","chunks":["a","b"],"ms":10}`)
		if r.status != http.StatusOK || !strings.HasSuffix(string(r.body), "\x00\x00\x00\x00\x00\x00\x00\x00ab") {
			t.Fatalf("%v", r)
		}
	})
}
