package natsserver

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// Reconnection settings of Connect.
const (
	reconnectWait   = 250 * time.Millisecond
	reconnectJitter = 250 * time.Millisecond
	// reconnectBuf holds what is published while the connection is down: a few large
	// invocations or tens of thousands of usage records.
	reconnectBuf = 4 * 8 * 1024 * 1024
)

// Connect connects to the NATS server at url, retrying until ctx ends, and keeps reconnecting
// for ever after a disconnect (messages published meanwhile are buffered, up to 32 MB). Extra
// options (e.g. nats.Name) are applied after Lambdock's.
func Connect(ctx context.Context, url string, log *zap.Logger, opts ...nats.Option) (*nats.Conn, error) {
	log = log.With(zap.String("nats", url))
	base := []nats.Option{
		nats.Name("lambdock"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(reconnectWait),
		nats.ReconnectJitter(reconnectJitter, reconnectJitter),
		nats.ReconnectBufSize(reconnectBuf),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil: the connection was closed on purpose
				log.Warn("NATS disconnected", zap.Error(err))
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("NATS reconnected", zap.String("server", nc.ConnectedUrlRedacted()))
		}),
		nats.ClosedHandler(func(*nats.Conn) { log.Debug("NATS connection closed") }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			log.Error("NATS error", zap.String("subject", subject), zap.Error(err))
		}),
	}
	for {
		nc, err := nats.Connect(url, append(base, opts...)...)
		if err == nil {
			return nc, nil
		}
		log.Debug("NATS not reachable yet", zap.Error(err))
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("natsserver: connect to %s: %w (last error: %v)", url, ctx.Err(), err)
		case <-time.After(reconnectWait):
		}
	}
}
