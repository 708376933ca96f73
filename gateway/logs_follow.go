package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/logstore"
)

// logsKeepAlive is how often a follow with nothing to say sends a comment, so that proxies and
// clients see the connection alive.
const logsKeepAlive = 15 * time.Second

// followBacklog is how many lines wait for a slow client before the follow stops reading.
const followBacklog = 256

// sseItem is one event of a follow: a line, or a dropped-lines notice.
type sseItem struct {
	event   *logstore.Event
	dropped int64
}

// followLogs answers a logs request with follow as Server-Sent Events: each line stored from
// q.resume (Last-Event-ID or next_token), else from q.Since, else from now on, as an event "log"
// with its EventId as id; each batch that says lines were dropped as an event "dropped"; a
// comment every logsKeepAlive. It ends when the client goes away or the gateway stops
// (StopFollows); a write that does not finish within Config.URLWriteTimeout ends it too.
func (g *Gateway) followLogs(c *gin.Context, account, function string, q logsQuery) error {
	if g.follows.Err() != nil {
		return lambdaerr.Service("The gateway is shutting down.")
	}
	ctx, cancel := context.WithCancel(c.Request.Context())
	defer cancel()
	stopOnShutdown := context.AfterFunc(g.follows, cancel)
	defer stopOnShutdown()
	items := make(chan sseItem, followBacklog)
	send := func(it sseItem) error {
		select {
		case items <- it:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ready := make(chan struct{})
	opts := logstore.FollowOptions{Match: q.Match, After: q.resume, Ready: func() { close(ready) },
		OnDropped: func(n int64) error { return send(sseItem{dropped: n}) }}
	followed := make(chan error, 1)
	go func() {
		followed <- logstore.Follow(ctx, g.js, account, function, opts, func(e logstore.Event) error {
			return send(sseItem{event: &e})
		})
	}()
	defer func() {
		cancel()
		<-followed // ends with ctx
	}()
	select { // the start is fixed before the client hears anything: what it stores next, it sees
	case <-ready:
	case err := <-followed:
		followed <- err // for the deferred wait
		switch {
		case errors.Is(err, jetstream.ErrStreamNotFound):
			return lambdaerr.Service("The logs stream %s does not exist.", msg.StreamLogs)
		case err == nil && g.follows.Err() != nil:
			return lambdaerr.Service("The gateway is shutting down.")
		case err == nil: // the client went away
			return ctx.Err()
		}
		return err
	}
	w := &sseWriter{c: c, rc: http.NewResponseController(c.Writer), timeout: g.cfg.URLWriteTimeout}
	defer w.clearDeadline()
	if err := g.pumpFollow(ctx, w, function, items, followed); err != nil {
		g.log.Debug("logs follow: client went away", zap.String("request_id", reqID(c)), zap.Error(err))
	}
	return nil // the status is sent: nothing more can be said
}

// pumpFollow sends the follow's headers, then its items and keep-alive comments until ctx ends
// (nil), the follow ends (nil; logged if it failed) or a write fails (its error).
func (g *Gateway) pumpFollow(ctx context.Context, w *sseWriter, function string, items <-chan sseItem,
	followed chan error) error {
	h := w.c.Writer.Header()
	h.Set("Content-Type", lambdaapi.ContentTypeEventStream)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on as it comes
	w.c.Writer.WriteHeader(http.StatusOK)
	if err := w.write(": following " + function + "\n\n"); err != nil {
		return err
	}
	tick := time.NewTicker(logsKeepAlive)
	defer tick.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return nil
		case ferr := <-followed:
			followed <- ferr // for followLogs' wait
			if ctx.Err() != nil {
				return nil
			}
			if ferr != nil {
				g.log.Warn("logs follow failed", zap.String("function", function), zap.String("request_id", reqID(w.c)),
					zap.Error(ferr))
			}
			return drainFollow(w, items) // the client is still there: what was read reaches it
		case <-tick.C:
			err = w.write(": keep-alive\n\n")
		case it := <-items:
			err = w.item(it)
		}
		if err != nil {
			return err
		}
	}
}

// drainFollow writes the items a follow that ended left buffered, without waiting for more.
func drainFollow(w *sseWriter, items <-chan sseItem) error {
	for {
		select {
		case it := <-items:
			if err := w.item(it); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

// sseWriter writes a follow's events, each flushed within timeout.
type sseWriter struct {
	c       *gin.Context
	rc      *http.ResponseController
	timeout time.Duration
}

// item writes a line or a dropped-lines notice.
func (w *sseWriter) item(it sseItem) error {
	if it.event == nil {
		b, err := json.Marshal(lambdaapi.LogsDropped{DroppedLines: it.dropped})
		if err != nil {
			return fmt.Errorf("encode dropped: %w", err)
		}
		return w.write("event: " + lambdaapi.SSEEventDropped + "\ndata: " + string(b) + "\n\n")
	}
	b, err := json.Marshal(logEvent(*it.event))
	if err != nil {
		return fmt.Errorf("encode log event: %w", err)
	}
	// JSON has no raw newline, so the data is one line.
	return w.write("id: " + it.event.ID() + "\nevent: " + lambdaapi.SSEEventLog + "\ndata: " + string(b) + "\n\n")
}

// write sends s and flushes it.
func (w *sseWriter) write(s string) error {
	if err := w.rc.SetWriteDeadline(time.Now().Add(w.timeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return fmt.Errorf("set write deadline: %w", err)
	}
	if _, err := w.c.Writer.WriteString(s); err != nil {
		return err
	}
	return w.rc.Flush()
}

// clearDeadline lifts the write deadline for the connection's next request.
func (w *sseWriter) clearDeadline() {
	_ = w.rc.SetWriteDeadline(time.Time{}) // a connection that cannot is being closed anyway
}

// StopFollows ends every logs follow and refuses new ones: an http.Server's Shutdown waits for
// its handlers, so register it with RegisterOnShutdown. Close calls it too.
func (g *Gateway) StopFollows() { g.stopFollows() }
