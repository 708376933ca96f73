package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// streamedInvoke is the invoker's side of an invocation that asked for a stream.
type streamedInvoke struct {
	resp *http.Response
	body *bufio.Reader
}

// invokeStreamed sends POST /invoke with HeaderStream and returns once the reply's headers
// arrived; the body is read by the test.
func (h *harness) invokeStreamed(id string, timeoutMs int) <-chan *streamedInvoke {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*patience)
	h.t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://agent"+agentproto.PathInvoke, strings.NewReader(`{}`))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set(agentproto.HeaderRequestID, id)
	req.Header.Set(agentproto.HeaderTimeoutMs, strconv.Itoa(timeoutMs))
	req.Header.Set(agentproto.HeaderStream, "true")
	out := make(chan *streamedInvoke, 1)
	go func() {
		resp, err := h.channel.Do(req)
		if err != nil {
			out <- nil
			return
		}
		h.t.Cleanup(func() { resp.Body.Close() })
		out <- &streamedInvoke{resp: resp, body: bufio.NewReader(resp.Body)}
	}()
	return out
}

// readN reads exactly n bytes of the streamed body.
func (s *streamedInvoke) readN(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(s.body, b); err != nil {
		t.Fatalf("reading %d bytes of the stream: %v", n, err)
	}
	return string(b)
}

// rest reads the stream to its end; the trailers are then in resp.Trailer.
func (s *streamedInvoke) rest(t *testing.T) string {
	t.Helper()
	b, err := io.ReadAll(s.body)
	if err != nil {
		t.Fatalf("reading the rest of the stream: %v", err)
	}
	return string(b)
}

// streamingPost is the runtime's /response with a chunked body the test writes piece by piece.
type streamingPost struct {
	w       *io.PipeWriter
	trailer http.Header
	done    chan reply
}

// postStreaming starts the runtime's streaming /response for id, as aws-lambda-go does it
// (chunked, the error trailers declared) with the streaming response mode header.
func (h *harness) postStreaming(id string) *streamingPost {
	h.t.Helper()
	pr, pw := io.Pipe()
	p := &streamingPost{w: pw, done: make(chan reply, 1),
		trailer: http.Header{"Lambda-Runtime-Function-Error-Type": nil, "Lambda-Runtime-Function-Error-Body": nil}}
	req, err := http.NewRequest(http.MethodPost, h.base+"/2018-06-01/runtime/invocation/"+id+"/response", pr)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/vnd.awslambda.http-integration-response")
	req.Header.Set("Lambda-Runtime-Function-Response-Mode", "streaming")
	req.Trailer = p.trailer
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			p.done <- reply{status: -1, body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		p.done <- reply{status: resp.StatusCode, body: b}
	}()
	return p
}

func (p *streamingPost) write(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(p.w, s); err != nil {
		t.Fatalf("runtime write: %v", err)
	}
}

// TestStreamedResponse checks that a streamed /response reaches the invoker as it is written:
// the invoker reads each chunk while the runtime's body is still open (the runtime writes the
// next chunk only after the invoker has the previous one), and the outcome arrives as trailers.
func TestStreamedResponse(t *testing.T) {
	h := startAgent(t, agentproto.Config{}, Options{})
	for i, chunks := range [][]string{{"first,", "second,", "third"}, {"only"}} {
		id := "stream-" + strconv.Itoa(i)
		replies := h.invokeStreamed(id, int(patience.Milliseconds()))
		h.next()
		post := h.postStreaming(id)
		post.write(t, chunks[0])
		inv := <-replies
		if inv == nil {
			t.Fatal("/invoke failed")
		}
		if inv.resp.Header.Get(agentproto.HeaderResultStream) != "true" ||
			inv.resp.Header.Get("Content-Type") != "application/vnd.awslambda.http-integration-response" {
			t.Fatalf("reply headers %v: not a stream of the runtime's content type", inv.resp.Header)
		}
		for j, c := range chunks {
			if j > 0 {
				post.write(t, c)
			}
			if got := inv.readN(t, len(c)); got != c {
				t.Fatalf("chunk %d: %q, want %q", j, got, c)
			}
		}
		if err := post.w.Close(); err != nil {
			t.Fatal(err)
		}
		if rest := inv.rest(t); rest != "" {
			t.Errorf("more after the last chunk: %q", rest)
		}
		if r := <-post.done; r.status != http.StatusAccepted {
			t.Errorf("runtime's /response: %d %s", r.status, r.body)
		}
		tr := inv.resp.Trailer
		if tr.Get(agentproto.HeaderResultErrorType) != "" || tr.Get(agentproto.HeaderResultDurationNs) == "" {
			t.Errorf("trailers %v: want success with a duration", tr)
		}
		tail, _ := base64.StdEncoding.DecodeString(tr.Get(agentproto.HeaderResultLogTail))
		if !strings.Contains(string(tail), "REPORT RequestId: "+id) {
			t.Errorf("log tail %q has no REPORT", tail)
		}
	}
}

// TestStreamedResponseEnds checks the ways a stream ends other than success: the runtime's
// error trailers, the size limit, the function timeout; and that an /error or a caller that
// did not ask for a stream gets the buffered reply.
func TestStreamedResponseEnds(t *testing.T) {
	const limit = 1000
	h := startAgent(t, agentproto.Config{}, Options{StreamLimit: limit})
	tests := []struct {
		name string
		// play is the runtime's side after /next; it returns what the invoker must read.
		play        func(t *testing.T, h *harness, id string, inv func() *streamedInvoke) string
		timeoutMs   int
		wantErrType string
		wantReset   bool
	}{
		{
			name: "error trailers after a first chunk",
			play: func(t *testing.T, h *harness, id string, inv func() *streamedInvoke) string {
				post := h.postStreaming(id)
				post.write(t, "partial")
				if got := inv().readN(t, 7); got != "partial" {
					t.Fatalf("first chunk %q", got)
				}
				post.trailer.Set("Lambda-Runtime-Function-Error-Type", "Runtime.StreamError")
				post.trailer.Set("Lambda-Runtime-Function-Error-Body", base64.StdEncoding.EncodeToString([]byte(`{"errorType":"Runtime.StreamError"}`)))
				_ = post.w.Close()
				if r := <-post.done; r.status != http.StatusAccepted {
					t.Errorf("runtime's /response: %d", r.status)
				}
				return ""
			},
			wantErrType: "Runtime.StreamError",
		},
		{
			name: "over the stream limit",
			play: func(t *testing.T, h *harness, id string, inv func() *streamedInvoke) string {
				post := h.postStreaming(id)
				go func() { _, _ = post.w.Write(bytes.Repeat([]byte("y"), limit+500)); _ = post.w.Close() }()
				if got := inv().readN(t, limit); got != strings.Repeat("y", limit) {
					t.Fatalf("the first %d bytes were not passed on", limit)
				}
				if r := <-post.done; r.status != http.StatusRequestEntityTooLarge && r.status != -1 {
					t.Errorf("runtime's /response: %d %s, want 413", r.status, r.body)
				}
				return ""
			},
			wantErrType: lambdaerr.TypeResponseSizeTooLarge,
		},
		{
			name:      "timeout while streaming",
			timeoutMs: 300,
			play: func(t *testing.T, h *harness, id string, inv func() *streamedInvoke) string {
				post := h.postStreaming(id)
				post.write(t, "before the timeout")
				if got := inv().readN(t, 18); got != "before the timeout" {
					t.Fatalf("first chunk %q", got)
				}
				// The body stays open: the function's time runs out, the runtime is reset.
				if rest := inv().rest(t); rest != "" {
					t.Errorf("more after the timeout: %q", rest)
				}
				// The fake runtime's connection is the test's: end it as the killed runtime's.
				post.w.CloseWithError(io.ErrUnexpectedEOF)
				<-post.done
				return ""
			},
			wantErrType: lambdaerr.TypeSandboxTimedout,
			wantReset:   true,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "ends-" + strconv.Itoa(i)
			timeout := tt.timeoutMs
			if timeout == 0 {
				timeout = int(patience.Milliseconds())
			}
			replies := h.invokeStreamed(id, timeout)
			h.next()
			var got *streamedInvoke
			inv := func() *streamedInvoke {
				if got == nil {
					if got = <-replies; got == nil {
						t.Fatal("/invoke failed")
					}
				}
				return got
			}
			want := tt.play(t, h, id, inv)
			if rest := inv().rest(t); rest != want {
				t.Errorf("rest of the stream %q, want %q", rest, want)
			}
			tr := inv().resp.Trailer
			if tr.Get(agentproto.HeaderResultErrorType) != tt.wantErrType {
				t.Errorf("error type trailer %q, want %q", tr.Get(agentproto.HeaderResultErrorType), tt.wantErrType)
			}
			if reset := tr.Get(agentproto.HeaderResultReset) == "true"; reset != tt.wantReset {
				t.Errorf("reset %v, want %v", reset, tt.wantReset)
			}
			if tt.wantReset {
				if status := <-h.idle(); status != http.StatusOK {
					t.Fatalf("/idle after the reset: %d", status)
				}
			}
		})
	}

	t.Run("an /error is a buffered reply", func(t *testing.T) {
		replies := h.invokeStreamed("err", int(patience.Milliseconds()))
		// The timeout above reset the runtime: this invoke starts a new one, and a real runtime
		// calls /next only once started, so the test playing it waits for the new process.
		h.runtimePid()
		h.next()
		if r := h.call(http.MethodPost, "/2018-06-01/runtime/invocation/err/error", nil, []byte(`{"errorType":"E"}`)); r.status != http.StatusAccepted {
			t.Fatalf("/error: %d", r.status)
		}
		inv := <-replies
		if inv == nil {
			t.Fatal("/invoke failed")
		}
		if inv.resp.Header.Get(agentproto.HeaderResultStream) != "" || inv.resp.Header.Get(agentproto.HeaderResultErrorType) != "Unhandled" {
			t.Errorf("headers %v: want a buffered Unhandled error", inv.resp.Header)
		}
		if body := inv.rest(t); body != `{"errorType":"E"}` {
			t.Errorf("body %q", body)
		}
	})

	t.Run("a streaming runtime without a stream caller is buffered", func(t *testing.T) {
		replies := h.invoke(invokeRequest{id: "buf", payload: []byte(`{}`)})
		h.next()
		post := h.postStreaming("buf")
		post.write(t, "all ")
		post.write(t, "at once")
		_ = post.w.Close()
		<-post.done
		r := h.await(replies)
		if r.header.Get(agentproto.HeaderResultStream) != "" || string(r.body) != "all at once" {
			t.Errorf("reply %q %v: want the whole body, buffered", r.body, r.header)
		}
	})
}
