// Package channel is part of the in-container agent (runtime-api/): it serves the invoker's side
// of the agent, HTTP over the unix socket in the per-container channel directory (agentproto). Only the invoker can reach that socket: the
// directory is mounted into this container alone and the socket is mode 0600.
//
// The package only translates between the wire (agentproto headers) and the environment
// package; every decision about the runtime is made there.
package channel

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/runtime-api/environment"
	"github.com/lambdock/lambdock/runtime-api/logcapture"
	"github.com/lambdock/lambdock/runtime-api/runtimeapi"
)

// Environment is what the channel drives.
type Environment interface {
	Invoke(ctx context.Context, req environment.Request) (environment.Outcome, error)
	WaitIdle(ctx context.Context) error
	WaitBootInit(ctx context.Context) error
}

// Listen creates the agent's socket in dir, replacing a stale one, readable by its owner only.
func Listen(dir string) (net.Listener, error) {
	path := filepath.Join(dir, agentproto.SocketName)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("channel: remove stale socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("channel: listen: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("channel: chmod socket: %w", err)
	}
	return ln, nil
}

// Handler serves PathHealth, PathInvoke, PathIdle, PathInit, and PathLogs from logs.
func Handler(env Environment, logs *logcapture.Sink) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+agentproto.PathLogs, LogsHandler(logs))
	mux.HandleFunc("GET "+agentproto.PathHealth, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("POST "+agentproto.PathInvoke, func(w http.ResponseWriter, r *http.Request) {
		invoke(env, w, r)
	})
	mux.HandleFunc("GET "+agentproto.PathIdle, func(w http.ResponseWriter, r *http.Request) {
		if err := env.WaitIdle(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "idle\n")
	})
	mux.HandleFunc("GET "+agentproto.PathInit, func(w http.ResponseWriter, r *http.Request) {
		if err := env.WaitBootInit(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		if f, ok := env.(interface{ BootInitFailure() string }); ok {
			if reason := f.BootInitFailure(); reason != "" {
				w.Header().Set(agentproto.HeaderInitFailure, reason)
			}
		}
		_, _ = io.WriteString(w, "init done\n")
	})
	return mux
}

func invoke(env Environment, w http.ResponseWriter, r *http.Request) {
	req, err := parseRequest(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var sink *streamSink
	if r.Header.Get(agentproto.HeaderStream) == "true" {
		sink = newStreamSink(w)
		req.Stream = sink
	}
	out, err := env.Invoke(r.Context(), req)
	if sink != nil && sink.end() {
		// The body went out as the runtime wrote it; the outcome follows as trailers.
		if err != nil && out.ErrorType == "" {
			out.ErrorType = lambdaerr.TypeSandboxFailure // abandoned while streaming
		}
		setResultHeaders(w.Header(), out)
		return
	}
	if err != nil {
		http.Error(w, "invoke: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if r.Header.Get(agentproto.HeaderIdleFollows) != "true" {
		writeOutcome(w, out, 0)
		return
	}
	// The result goes out at once; the idle signal follows as the body's last byte.
	w.Header().Set(agentproto.HeaderResultIdleMark, "true")
	writeOutcome(w, out, 1)
	if err := http.NewResponseController(w).Flush(); err != nil {
		return // the invoker hung up
	}
	mark := byte(agentproto.IdleMark)
	if env.WaitIdle(r.Context()) != nil {
		mark = agentproto.NotIdleMark
	}
	_, _ = w.Write([]byte{mark})
}

// parseRequest reads an invocation from agentproto's request headers and body.
func parseRequest(r *http.Request) (environment.Request, error) {
	h := r.Header
	id := h.Get(agentproto.HeaderRequestID)
	if id == "" {
		return environment.Request{}, fmt.Errorf("missing %s", agentproto.HeaderRequestID)
	}
	ms, err := strconv.ParseInt(h.Get(agentproto.HeaderTimeoutMs), 10, 64)
	if err != nil || ms <= 0 {
		return environment.Request{}, fmt.Errorf("invalid %s %q", agentproto.HeaderTimeoutMs, h.Get(agentproto.HeaderTimeoutMs))
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, rules.MaxRuntimePayload+1))
	if err != nil {
		return environment.Request{}, fmt.Errorf("read payload: %w", err)
	}
	if len(payload) > rules.MaxRuntimePayload {
		return environment.Request{}, fmt.Errorf("payload over %d bytes", rules.MaxRuntimePayload)
	}
	return environment.Request{
		Invoke: runtimeapi.Invoke{
			RequestID:     id,
			FunctionArn:   h.Get(agentproto.HeaderFunctionArn),
			TraceID:       h.Get(agentproto.HeaderTraceID),
			ClientContext: h.Get(agentproto.HeaderClientContext),
			Payload:       payload,
		},
		Timeout: time.Duration(ms) * time.Millisecond,
	}, nil
}

// writeOutcome renders an invocation's outcome: status 200, the result or error JSON as body,
// the HeaderResult* headers. The Content-Length counts trailing more bytes that the caller
// writes after the result.
func writeOutcome(w http.ResponseWriter, out environment.Outcome, trailing int) {
	h := w.Header()
	contentType := out.ContentType
	if contentType == "" {
		contentType = "application/json"
	}
	h.Set("Content-Type", contentType)
	setResultHeaders(h, out)
	h.Set("Content-Length", strconv.Itoa(len(out.Payload)+trailing))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out.Payload) // the invoker hung up; it owns the retry
}

// setResultHeaders sets the HeaderResult* values of an outcome: headers of a buffered reply,
// trailers of a streamed one.
func setResultHeaders(h http.Header, out environment.Outcome) {
	if out.ErrorType != "" {
		h.Set(agentproto.HeaderResultErrorType, out.ErrorType)
	}
	h.Set(agentproto.HeaderResultDurationNs, strconv.FormatInt(out.Duration.Nanoseconds(), 10))
	if out.InitRan {
		h.Set(agentproto.HeaderResultInitDurationNs, strconv.FormatInt(out.InitDuration.Nanoseconds(), 10))
	}
	if out.MaxMemoryBytes >= 0 {
		h.Set(agentproto.HeaderResultMaxMemoryBytes, strconv.FormatInt(out.MaxMemoryBytes, 10))
	}
	h.Set(agentproto.HeaderResultLogTail, base64.StdEncoding.EncodeToString(out.LogTail))
	if out.Reset {
		h.Set(agentproto.HeaderResultReset, "true")
	}
}
