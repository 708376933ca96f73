package natsservice

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/invoker"
)

// recordTimeout bounds how long an answer waits for its usage record to be stored in the usage
// stream; past it, the publisher spools the record on disk (lambdockd always gives it a spool)
// and the answer goes. Only the first record of a JetStream outage waits that long: while the
// spool holds records, the next ones go straight to it.
const recordTimeout = 3 * time.Second

// onInvocation runs each invocation in its own goroutine, or refuses it: one sent to an earlier
// instance of this invoker, or one that comes while it is shutting down. A taken invocation is
// listed as busy here, before its goroutine starts, so that every heartbeat published from now
// on lists it until its Released is published.
func (s *Service) onInvocation(m *nats.Msg) {
	if want := m.Header.Get(msg.HeaderInstance); want != "" && want != s.instance {
		s.refuse(m, lambdaerr.Service("Invoker %s restarted: the invocation was meant for its previous instance.", s.cfg.ID))
		return
	}
	lease := m.Header.Get(msg.HeaderLease)
	if lease != "" {
		s.busy.add(lease)
	}
	if !s.work.Go(func() { s.handle(m, lease) }) {
		if lease != "" {
			s.busy.remove(lease)
		}
		s.refuse(m, lambdaerr.Service("Invoker %s is shutting down.", s.cfg.ID))
	}
}

// handle runs one invocation, records its usage (an attempt that ran, whatever its outcome:
// usageOf), replies, and announces when its environment is no longer busy. Every invocation
// taken gets exactly one Released, whatever its outcome: the controller holds the invocation's
// concurrency slot until then. lease is its HeaderLease, already listed as busy by
// onInvocation.
func (s *Service) handle(m *nats.Msg, lease string) {
	taken := time.Now()
	inv, err := msg.DecodeInvocation(m)
	if err != nil {
		if lease != "" {
			s.busy.remove(lease)
		}
		s.refuse(m, lambdaerr.Service("Invoker %s cannot decode the invocation: %v", s.cfg.ID, err))
		return
	}
	if lease == "" {
		// No controller reconciles by this token (they all send a lease), but Busy lists every
		// invocation taken.
		s.busy.add(inv.RequestID)
	}
	spec := inv.Function.WithDefaults()
	released := msg.Released{RequestID: inv.RequestID, InvokerID: s.cfg.ID, Lease: lease}
	res, err := s.cfg.Invoker.Invoke(s.work.Context(), invoker.Request{
		RequestID:          inv.RequestID,
		Function:           spec,
		Payload:            inv.Payload,
		InvokedFunctionArn: inv.InvokedFunctionArn,
		ClientContext:      inv.ClientContext,
		TraceID:            inv.TraceID,
		Stream:             inv.StreamSubject != "",
	})
	if err != nil {
		s.cfg.Metrics.refused(spec.AccountID, spec.Name, err)
		e := lambdaerr.As(fmt.Errorf("invoker %s: %w", s.cfg.ID, err))
		if s.work.Context().Err() != nil {
			e = lambdaerr.Service("Invoker %s shut down during the invocation.", s.cfg.ID)
		}
		s.respond(m, msg.Failure(inv.RequestID, spec.Version, e))
		// Invoke returns an error only once the environment is gone or was never taken.
		s.publishReleased(released)
		return
	}
	// Record first: the usage record is stored (in the usage stream, or the publisher's spool on
	// disk) before the caller hears back, so that a crash in between cannot lose a billed call.
	record := func() {
		u := usageOf(s.cfg.ID, inv, spec, res)
		s.recordUsage(u)
		s.cfg.Metrics.ran(&u, time.Since(taken), res.Stream != nil)
	}
	if res.Stream != nil {
		// The stream's end is the caller's answer: relayStream records before it.
		if err := s.relayStream(inv.StreamSubject, res, record); err != nil {
			s.respond(m, msg.Failure(inv.RequestID, spec.Version, lambdaerr.Service(
				"Invoker %s: the streamed response failed: %v", s.cfg.ID, err)))
			<-res.Idle // closed once the failed environment is removed
			s.publishReleased(released)
			return
		}
	} else {
		record()
	}
	s.respond(m, resultReply(spec, inv.LogTail, res))

	released.Warm = true
	if res.Idle != nil {
		select {
		case <-res.Idle:
		case <-s.work.Context().Done():
			released.Warm = false
		}
	}
	s.publishReleased(released)
}

// refuse answers an invocation this invoker does not take, with HeaderRefused: nothing ran and
// no Released follows, so the controller may place it elsewhere.
func (s *Service) refuse(m *nats.Msg, e *lambdaerr.APIError) {
	reply := msg.RefusalMessage("", function.LatestVersion, e)
	if err := m.RespondMsg(reply); err != nil {
		s.log.Warn("refusal to the controller failed", zap.Error(err))
	}
}

// respond answers the controller. A reply too large for NATS becomes a ServiceException that
// says so, so the caller is not left waiting for the backstop.
func (s *Service) respond(m *nats.Msg, r msg.InvocationReply) {
	err := m.RespondMsg(msg.ReplyMessage(r))
	if errors.Is(err, nats.ErrMaxPayload) {
		err = m.RespondMsg(msg.FailureMessage(r.RequestID, r.ExecutedVersion, lambdaerr.Service(
			"The reply (%d bytes of payload and its headers) exceeds the NATS server's max_payload of %d bytes.",
			len(r.Payload), s.nc.MaxPayload())))
	}
	if err != nil {
		s.log.Warn("reply to the controller failed", zap.Error(err))
	}
}

// recordUsage stores the usage record before the caller is answered. It is detached from
// shutdown: an invocation that ran is billed. The Publisher returns once JetStream has stored
// the record or, when it cannot within recordTimeout, once its spool has it on disk.
func (s *Service) recordUsage(u msg.Usage) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.work.Context()), recordTimeout)
	defer cancel()
	if err := s.cfg.Usage.Publish(ctx, s.cfg.ID, u); err != nil {
		s.log.Error("usage record not stored", zap.String("request_id", u.RequestID), zap.Int("attempt", u.Attempt),
			zap.Error(err))
	}
}

// publishReleased tells the controllers that the invocation's environment is no longer busy,
// and then stops listing it as busy in heartbeats. If the Released is lost (or not even
// published), the heartbeats without it tell the controllers instead.
func (s *Service) publishReleased(r msg.Released) {
	if err := s.nc.Publish(msg.InvokerReleasedSubject(s.cfg.ID), msg.Encode(r)); err != nil {
		s.log.Warn("release not published", zap.String("request_id", r.RequestID), zap.Error(err))
	}
	s.busy.remove(cmp.Or(r.Lease, r.RequestID))
}
