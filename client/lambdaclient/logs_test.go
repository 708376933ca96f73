package lambdaclient_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// TestFollowIdle: a follow whose connection says nothing for IdleTimeout ends with
// ErrFollowIdle; keep-alives keep it open.
func TestFollowIdle(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", lambdaapi.ContentTypeEventStream)
		for range 3 { // keep-alives for a while, then silence
			_, _ = io.WriteString(w, ": keep-alive\n\n")
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
		<-r.Context().Done()
	}))
	defer srv.Close()
	start := time.Now()
	err := lambdaclient.New(srv.URL).FollowFunctionLogs(context.Background(), "f",
		lambdaclient.FollowLogsInput{IdleTimeout: 250 * time.Millisecond}, func(lambdaclient.LogStreamEvent) error { return nil })
	if !errors.Is(err, lambdaclient.ErrFollowIdle) {
		t.Fatalf("%v, want ErrFollowIdle", err)
	}
	if d := time.Since(start); d < 450*time.Millisecond || d > 10*time.Second {
		t.Errorf("ended after %s: want the keep-alives to hold it, then the idle timeout", d)
	}
}
