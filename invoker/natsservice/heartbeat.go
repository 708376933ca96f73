package natsservice

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// heartbeats publishes the invoker's Stats every HeartbeatInterval until ctx ends; once Close
// began, with no capacity, so that controllers place nothing here but keep the slots of the
// invocations still draining until their Released.
func (s *Service) heartbeats(ctx context.Context) {
	tick := time.NewTicker(s.cfg.HeartbeatInterval)
	defer tick.Stop()
	for {
		s.publishHeartbeat(s.snapshot())
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// snapshot is the heartbeat to send now: capacity 0 once Close began. It always lists the
// invocations not yet released (also while draining, when they still hold their slots), and says
// the list is complete (Reconcile), so that controllers free the slots whose Released was lost.
func (s *Service) snapshot() msg.Heartbeat {
	hb := msg.Heartbeat{InvokerID: s.cfg.ID, Instance: s.instance, Busy: s.busy.list(), Reconcile: true}
	if s.stopping.Load() {
		return hb
	}
	st := s.cfg.Invoker.Stats()
	hb.CapacityMB, hb.UsedMB, hb.IdleByKey = st.CapacityMB, st.UsedMB, st.IdleByKey
	hb.ProvisionedByKey, hb.ProvisionedMB = st.ProvisionedByKey, st.ProvisionedMB
	hb.ProvisionedIdleByKey = st.ProvisionedIdleByKey
	return hb
}

// publishHeartbeat sends one heartbeat. A failure is logged: the next beat will try again.
func (s *Service) publishHeartbeat(hb msg.Heartbeat) {
	if err := s.nc.Publish(msg.SubjectInvokerHeartbeat, msg.Encode(hb)); err != nil {
		s.log.Warn("heartbeat not sent", zap.Error(err))
	}
}
