package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// extensionEvents collects the events testext POSTs (LAMBDOCK_TESTEXT_URL). While hold is open,
// an INVOKE's POST is answered only once it closes: the extension stays in the post-invoke phase
// and its environment busy.
type extensionEvents struct {
	mu     sync.Mutex
	events []extensionEvent
	hold   chan struct{}
}

// extensionEvent is the part of an Extensions API event the test checks.
type extensionEvent struct {
	Name           string `json:"-"`
	EventType      string `json:"eventType"`
	RequestID      string `json:"requestId"`
	ShutdownReason string `json:"shutdownReason"`
	DeadlineMs     int64  `json:"deadlineMs"`
}

func (x *extensionEvents) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var ev extensionEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ev.Name = req.Header.Get("X-Testext-Name")
	x.mu.Lock()
	x.events = append(x.events, ev)
	hold := x.hold
	x.mu.Unlock()
	if hold != nil && ev.EventType == "INVOKE" {
		select {
		case <-hold:
		case <-req.Context().Done():
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// find returns the first event of type typ, if one came.
func (x *extensionEvents) find(typ string) (extensionEvent, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, ev := range x.events {
		if ev.EventType == typ {
			return ev, true
		}
	}
	return extensionEvent{}, false
}

// TestExtensionInLayer ships the test extension (internal/testsupport/testext) in a layer at
// /opt/extensions/testext: the agent launches it before the runtime, it gets an INVOKE event
// with the invocation's request id, and a SHUTDOWN (spindown) when the environment is retired
// because its function was deleted. The function is deleted while the extension is still in its
// post-invoke phase (the test holds its INVOKE POST), so the environment is busy when the
// deletion reaches the invoker: it must still be shut down gracefully once it finishes.
func TestExtensionInLayer(t *testing.T) {
	need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ext := filepath.Join(t.TempDir(), "testext")
	if err := testenv.GoBuild(ctx, ext, "./internal/testsupport/testext"); err != nil {
		t.Fatal(err)
	}
	binary, err := os.ReadFile(ext)
	if err != nil {
		t.Fatal(err)
	}
	bootstrap, err := os.ReadFile(shared.bootstrap)
	if err != nil {
		t.Fatal(err)
	}

	events := &extensionEvents{hold: make(chan struct{})}
	ln, err := net.Listen("tcp", bridgeGateway(t)+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: events, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	l := start(t, newConfig(dataDir(t), "e2e-ext-"+randomID()))
	layer := l.publishLayerDir(t, "testext", map[string]string{"extensions/testext*": string(binary)})
	const fn = "e2e-extension"
	l.deployProject(t, "name: "+fn+"\nmemory: 256\ntimeout: 10\nenvironment:\n  LAMBDOCK_TESTEXT_URL: http://"+
		ln.Addr().String()+"/\n", []string{layer}, map[string]string{"bootstrap*": string(bootstrap)})

	r := l.invoke(t, fn, `{"op":"echo"}`)
	if r.status != http.StatusOK || r.header.Get("X-Amz-Function-Error") != "" {
		t.Fatalf("invoke: %v", r)
	}
	requestID := r.header.Get("X-Amzn-Requestid")
	eventuallyFor(t, 10*time.Second, func() string {
		ev, ok := events.find("INVOKE")
		switch {
		case !ok:
			return "no INVOKE event yet"
		case ev.Name != "testext" || ev.RequestID != requestID || ev.DeadlineMs <= time.Now().UnixMilli():
			return "INVOKE event " + ev.Name + " " + ev.RequestID + ", want testext " + requestID + " with a future deadline"
		}
		return ""
	})

	if err := l.client.DeleteFunction(ctx, fn); err != nil {
		t.Fatal(err)
	}
	// The deletion event reaches the invoker within milliseconds; the environment is then still
	// busy (the extension has not asked for its next event). Let it finish after that.
	time.Sleep(time.Second)
	close(events.hold)
	// Retiring the environment stops its container gracefully (Docker's stop), which takes
	// seconds more on a host busy with the other test packages.
	eventuallyFor(t, time.Minute, func() string {
		ev, ok := events.find("SHUTDOWN")
		switch {
		case !ok:
			return "no SHUTDOWN event after the function was deleted"
		case ev.ShutdownReason != "spindown":
			return "SHUTDOWN reason " + ev.ShutdownReason + ", want spindown"
		}
		return ""
	})
}
