package natsservice

import (
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// onProvision takes a controller's msg.ProvisionSet and replies with the invoker's
// msg.ProvisionStatus. A set that cannot be decoded or taken is answered with every target
// it names Failed, with the reason.
func (s *Service) onProvision(pv Provisioner, m *nats.Msg) {
	set, err := msg.Decode[msg.ProvisionSet](m.Data)
	if err != nil {
		s.log.Warn("undecodable provision set", zap.Error(err))
		s.respondProvision(m, msg.ProvisionStatus{InvokerID: s.cfg.ID})
		return
	}
	st, err := pv.Provision(s.work.Context(), set)
	if err != nil {
		st = msg.ProvisionStatus{InvokerID: s.cfg.ID}
		for _, t := range set.Targets {
			st.Targets = append(st.Targets, msg.ProvisionTargetStatus{Key: t.Key, Function: t.Function.PoolKey(),
				Failed: "invoker " + s.cfg.ID + ": " + err.Error()})
		}
	}
	s.respondProvision(m, st)
}

// respondProvision replies to a provision request; a failure is logged (the requester times out and asks again).
func (s *Service) respondProvision(m *nats.Msg, st msg.ProvisionStatus) {
	if m.Reply == "" {
		return
	}
	if err := m.Respond(msg.Encode(st)); err != nil {
		s.log.Warn("provision status not sent", zap.Error(err))
	}
}
