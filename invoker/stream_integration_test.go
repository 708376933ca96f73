package invoker_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/invoker"
)

// preludeEnd ends the prelude of a streamed function URL response.
const preludeEnd = "\x00\x00\x00\x00\x00\x00\x00\x00"

// invokeStreamed runs the testfn stream op with Request.Stream set.
func (h *harness) invokeStreamed(t *testing.T, timeoutSec int, chunks []string, ms int, hold bool) *invoker.Result {
	t.Helper()
	payload, err := json.Marshal(map[string]any{"op": "stream", "chunks": chunks, "ms": ms, "hold": hold})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	res, err := h.Invoke(ctx, invoker.Request{RequestID: uuid.NewString(), Function: spec("streamer", 128, timeoutSec),
		Payload: payload, Stream: true})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if res.Stream == nil {
		t.Fatalf("no stream: %s %q", res.FunctionError, res.Payload)
	}
	t.Cleanup(func() { res.Stream.Close() })
	return res
}

// readPrelude reads the stream up to the end of its prelude and returns the prelude.
func readPrelude(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var prelude []byte
	for !bytes.HasSuffix(prelude, []byte(preludeEnd)) {
		b, err := r.ReadByte()
		if err != nil {
			t.Fatalf("stream ended inside the prelude %q: %v", prelude, err)
		}
		prelude = append(prelude, b)
	}
	return string(bytes.TrimSuffix(prelude, []byte(preludeEnd)))
}

// TestStreamedResult checks a lambdaurl.Wrap handler's response through a real container: the
// first chunk is read while the invocation is provably still running (its outcome is not known
// and its environment not free; with hold the function never returns at all), then the rest
// byte for byte with the outcome.
func TestStreamedResult(t *testing.T) {
	h := newHarness(t, nil)

	t.Run("chunks a second apart", func(t *testing.T) {
		res := h.invokeStreamed(t, 30, []string{"first|", "second|", "third"}, 1000, false)
		r := bufio.NewReader(res.Stream)
		if p := readPrelude(t, r); !strings.Contains(p, `"statusCode":201`) || !strings.Contains(p, `"X-Stream":"yes"`) {
			t.Errorf("prelude %q", p)
		}
		first := make([]byte, len("first|"))
		if _, err := io.ReadFull(r, first); err != nil || string(first) != "first|" {
			t.Fatalf("first chunk %q: %v", first, err)
		}
		select {
		case <-res.Idle:
			t.Fatal("the environment is free before the stream ended")
		default:
		}
		if res.Duration != 0 {
			t.Fatalf("the outcome (duration %v) is known before the stream ended", res.Duration)
		}
		rest, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if string(rest) != "second|third" {
			t.Errorf("rest %q, want %q", rest, "second|third")
		}
		if res.FunctionError != "" || res.Duration <= 0 || !strings.Contains(string(res.LogTail), "REPORT") {
			t.Errorf("outcome: error %q, duration %v, log tail %q", res.FunctionError, res.Duration, res.LogTail)
		}
		<-res.Idle
	})

	t.Run("first chunk of a function that never returns", func(t *testing.T) {
		res := h.invokeStreamed(t, 2, []string{"only the first"}, 0, true)
		r := bufio.NewReader(res.Stream)
		readPrelude(t, r)
		first := make([]byte, len("only the first"))
		if _, err := io.ReadFull(r, first); err != nil || string(first) != "only the first" {
			t.Fatalf("first chunk %q: %v", first, err)
		}
		rest, err := io.ReadAll(r)
		if err != nil || len(rest) != 0 {
			t.Fatalf("after the first chunk: %q, %v", rest, err)
		}
		if res.FunctionError != lambdaerr.TypeSandboxTimedout {
			t.Errorf("function error %q, want %s", res.FunctionError, lambdaerr.TypeSandboxTimedout)
		}
		<-res.Idle
	})

	t.Run("without Stream the response is buffered", func(t *testing.T) {
		res := h.mustSucceed(t, spec("streamer", 128, 30), map[string]any{"op": "stream", "chunks": []string{"a", "b"}, "ms": 10})
		if res.Stream != nil || !strings.HasSuffix(string(res.Payload), preludeEnd+"ab") {
			t.Errorf("payload %q, stream %v: want the whole response buffered", res.Payload, res.Stream != nil)
		}
	})
}

// TestStreamBrokenByTheCallerIsNotBilled: the caller gives up in the middle of a stream (its
// context ends): a failure on the platform's side, classified as for a lost agent, so the result
// is Unbilled (no usage record) and no function error, and the environment is removed.
func TestStreamBrokenByTheCallerIsNotBilled(t *testing.T) {
	h := newHarness(t, nil)
	payload, err := json.Marshal(map[string]any{"op": "stream", "chunks": []string{"only the first"}, "hold": true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := h.Invoke(ctx, invoker.Request{RequestID: uuid.NewString(), Function: spec("streamer", 128, 30),
		Payload: payload, Stream: true})
	if err != nil || res.Stream == nil {
		t.Fatalf("Invoke: %v, %+v", err, res)
	}
	defer res.Stream.Close()
	r := bufio.NewReader(res.Stream)
	readPrelude(t, r)
	first := make([]byte, len("only the first"))
	if _, err := io.ReadFull(r, first); err != nil {
		t.Fatalf("first chunk %q: %v", first, err)
	}
	cancel() // the caller gives up
	if _, err := io.ReadAll(r); err == nil {
		t.Fatal("the stream ended well after its caller gave up")
	}
	if !res.Unbilled || res.FunctionError != "" {
		t.Errorf("Unbilled %v, function error %q; want a platform failure, not billed", res.Unbilled, res.FunctionError)
	}
	<-res.Idle
}
