package natsservice

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// heartbeats publishes the invoker's Stats every HeartbeatInterval until ctx ends.
func (s *Service) heartbeats(ctx context.Context) {
	tick := time.NewTicker(s.cfg.HeartbeatInterval)
	defer tick.Stop()
	for {
		st := s.cfg.Invoker.Stats()
		s.publishHeartbeat(msg.Heartbeat{InvokerID: s.cfg.ID, CapacityMB: st.CapacityMB, UsedMB: st.UsedMB,
			IdleByKey: st.IdleByKey, At: time.Now()})
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// publishHeartbeat sends one heartbeat. A failure is logged: the next beat will try again.
func (s *Service) publishHeartbeat(hb msg.Heartbeat) {
	if err := s.nc.Publish(msg.SubjectInvokerHeartbeat, msg.Encode(hb)); err != nil {
		s.log.Warn("heartbeat not sent", zap.Error(err))
	}
}
