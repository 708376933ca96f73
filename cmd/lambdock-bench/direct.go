package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/lambdock/lambdock/bench/loadgen"
)

// runDirect is scenario 2: the test function's bootstrap started as a plain process on this host
// with AWS_LAMBDA_RUNTIME_API pointing at a minimal Runtime API served here, driven sequentially
// (one runtime serves one invocation at a time). Each request is one round trip: the event
// handed out on /next until the response is posted. No Lambdock component, no container.
func runDirect(ctx context.Context, bootstrap string, o options) (loadgen.Result, error) {
	d := &driver{events: make(chan invocation), replies: make(map[string]chan error)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return loadgen.Result{}, err
	}
	srv := &http.Server{Handler: d.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }() // ends with Close below; its error is always ErrServerClosed then
	defer srv.Close()

	cmd := exec.Command(bootstrap)
	cmd.Env = append(os.Environ(),
		"AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME=bench-direct",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1769",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_REGION=us-east-1")
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return loadgen.Result{}, fmt.Errorf("start bootstrap: %w", err)
	}
	defer func() {
		_ = cmd.Process.Kill() // the runtime loops on /next forever; killing is how it ends
		_ = cmd.Wait()         // reports the kill
	}()

	if _, err := loadgen.Run(ctx, loadgen.Config{Workers: 1, Duration: o.warmup, Requests: o.maxReq}, d.invoke); err != nil {
		return loadgen.Result{}, err
	}
	r, err := loadgen.Run(ctx, loadgen.Config{Workers: 1, Duration: o.duration, Requests: o.maxReq}, d.invoke)
	if err == nil {
		log("  " + r.String())
	}
	return r, err
}

// invocation is one event waiting for the runtime's /next.
type invocation struct {
	id   string
	body []byte
}

// driver is the minimal Runtime API: /next hands out events, /response and /error answer them.
type driver struct {
	events chan invocation
	seq    int // guarded by mu
	mu     sync.Mutex
	// replies holds, per request id, where its outcome goes; guarded by mu.
	replies map[string]chan error
}

// routes are the Runtime API paths aws-lambda-go uses.
func (d *driver) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", d.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		d.finish(w, r, nil)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", func(w http.ResponseWriter, r *http.Request) {
		d.finish(w, r, errors.New("function error"))
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // best effort: only for the message
		fmt.Fprintf(os.Stderr, "direct runtime: init error: %s\n", body)
		w.WriteHeader(http.StatusAccepted)
	})
	return mux
}

// next blocks until an event is handed to the runtime.
func (d *driver) next(w http.ResponseWriter, r *http.Request) {
	select {
	case inv := <-d.events:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(requestTimeout).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:bench-direct")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(inv.body) // a broken connection shows as the invocation's timeout
	case <-r.Context().Done():
	}
}

// finish delivers the outcome of the invocation named in the path.
func (d *driver) finish(w http.ResponseWriter, r *http.Request, outcome error) {
	_, _ = io.Copy(io.Discard, r.Body) // the result itself is not checked, only its arrival
	d.mu.Lock()
	ch, ok := d.replies[r.PathValue("id")]
	delete(d.replies, r.PathValue("id"))
	d.mu.Unlock()
	if !ok {
		http.Error(w, "unknown request id", http.StatusBadRequest)
		return
	}
	ch <- outcome
	w.WriteHeader(http.StatusAccepted)
}

// invoke is one round trip through the runtime; it is a loadgen.Request.
func (d *driver) invoke(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	ch := make(chan error, 1)
	d.mu.Lock()
	d.seq++
	id := "bench-" + strconv.Itoa(d.seq)
	d.replies[id] = ch
	d.mu.Unlock()
	select {
	case d.events <- invocation{id: id, body: []byte(event)}:
	case <-ctx.Done():
		d.forget(id)
		return fmt.Errorf("the runtime did not ask for the event: %w", ctx.Err())
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		d.forget(id)
		return fmt.Errorf("no response: %w", ctx.Err())
	}
}

// forget drops a request id that will not be answered.
func (d *driver) forget(id string) {
	d.mu.Lock()
	delete(d.replies, id)
	d.mu.Unlock()
}
