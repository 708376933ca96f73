package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/infra/natssub"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

// Why a message failed, in the OnFailure record.
const (
	ReasonReported        = "ReportedFailure" // the function listed it in batchItemFailures
	ReasonFunctionError   = "FunctionError"   // the function failed (error, timeout, crash)
	ReasonInvalidResponse = "InvalidResponse" // the partial batch response was invalid
)

// item is one message of a batch.
type item struct {
	msg jetstream.Msg
	md  *jetstream.MsgMetadata
	rec Record
}

// outcome is how an invocation of a batch ended.
type outcome struct {
	requestID     string
	statusCode    int
	version       string
	functionError string
}

// process runs a batch (in invocations of at most rules.MaxInvokeRequest bytes each) and settles
// every message. It returns how long the worker should pause (after a throttle).
func (p *poller) process(msgs []jetstream.Msg) time.Duration {
	now := time.Now()
	region := p.queueRegion()
	items := make([]*item, 0, len(msgs))
	for _, m := range msgs {
		md, err := m.Metadata()
		if err != nil { // not a JetStream message: nothing to run or settle
			p.log.Warn("queue message without metadata", zap.Error(err))
			continue
		}
		items = append(items, &item{msg: m, md: md,
			rec: newRecord(m, md, messageID(m, md), p.esm.EventSourceARN, region, p.esm.AccountID, now)})
	}
	stop := p.keepAlive(msgs)
	defer stop()
	ctx, cancel := context.WithTimeout(p.m.work, 10*time.Second)
	f, err := p.m.cfg.Store.GetFunction(ctx, p.esm.AccountID, p.esm.FunctionName)
	cancel()
	if err != nil { // deleted (the mapping goes with it) or the store is down: try again later
		p.log.Warn("queue trigger's function", zap.Error(err))
		return p.retryAll(items)
	}
	var pause time.Duration
	for _, chunk := range chunks(items) {
		pause = max(pause, p.runChunk(f, chunk))
	}
	return pause
}

// chunks splits items so that each chunk's event fits the synchronous payload limit (a
// message bigger than that alone is a chunk of its own, and fails).
func chunks(items []*item) [][]*item {
	const overhead = len(`{"Records":[]}`)
	var out [][]*item
	var cur []*item
	size := overhead
	for _, it := range items {
		b, _ := json.Marshal(it.rec) // a Record always encodes
		if len(cur) > 0 && size+len(b)+1 > rules.MaxInvokeRequest {
			out = append(out, cur)
			cur, size = nil, overhead
		}
		cur = append(cur, it)
		size += len(b) + 1
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// runChunk invokes the function with one chunk and settles its messages.
func (p *poller) runChunk(f *store.Function, chunk []*item) time.Duration {
	ev := Event{Records: make([]Record, len(chunk))}
	known := map[string]bool{}
	for i, it := range chunk {
		ev.Records[i] = it.rec
		known[it.rec.MessageID] = true
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		p.log.Error("encode queue event", zap.Error(err))
		return p.retryAll(chunk)
	}
	reply, err := p.invoke(f, payload)
	if err != nil { // no controller answered in time: a platform failure
		p.log.Warn("queue trigger invocation", zap.Error(err))
		return p.retryAll(chunk)
	}
	out := outcome{requestID: reply.RequestID, statusCode: http.StatusOK, version: reply.ExecutedVersion,
		functionError: reply.FunctionError}
	var failed []*item
	reason := ""
	switch {
	case reply.Error != nil && (reply.Error.Status == http.StatusTooManyRequests || reply.Error.Status >= 500 ||
		reply.Error.Status == 0):
		p.log.Debug("queue trigger throttled or failed", zap.String("code", reply.Error.Code))
		return p.retryAll(chunk)
	case reply.Error != nil: // the invocation was refused (e.g. too large): retrying it as is fails again
		failed, reason = chunk, reply.Error.Code
		out.statusCode, out.functionError = reply.Error.Status, reply.Error.Code
	case reply.FunctionError != "":
		failed, reason = chunk, ReasonFunctionError
	case p.esm.ReportBatchItemFailures:
		ids, ok := failedItems(reply.Payload, known)
		if !ok {
			failed, reason = chunk, ReasonInvalidResponse
			break
		}
		reported := map[string]bool{}
		for _, id := range ids {
			reported[id] = true
		}
		for _, it := range chunk {
			if reported[it.rec.MessageID] {
				failed = append(failed, it)
			}
		}
		reason = ReasonReported
	}
	if reason == ReasonFunctionError || reason == ReasonInvalidResponse || (reply.Error != nil) {
		p.setResult(store.ResultProblem)
	} else {
		p.setResult(store.ResultOK)
	}
	isFailed := map[*item]bool{}
	for _, it := range failed {
		isFailed[it] = true
	}
	for _, it := range chunk {
		if !isFailed[it] {
			p.ack(it)
		}
	}
	for _, it := range failed {
		p.fail(it, out, reason)
	}
	return 0
}

// invoke runs the function synchronously, as the gateway does: an msg.Invocation request on
// msg.SubjectInvoke, waiting the function's timeout plus the grace.
func (p *poller) invoke(f *store.Function, payload []byte) (*msg.InvocationReply, error) {
	spec := f.Spec()
	spec.Region = p.m.cfg.Region
	deadline := time.Now().Add(time.Duration(spec.TimeoutSec)*time.Second + p.m.cfg.InvokeGrace)
	out := msg.EncodeInvocation(msg.Invocation{
		RequestID:          uuid.NewString(),
		Function:           spec,
		Payload:            payload,
		InvokedFunctionArn: spec.ARN(),
		Deadline:           deadline,
		Type:               msg.InvocationTypeQueue,
	})
	out.Subject = msg.SubjectInvoke
	ctx, cancel := context.WithDeadline(p.m.work, deadline)
	defer cancel()
	m, err := p.m.cfg.NATS.RequestMsgWithContext(ctx, out)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	reply, err := msg.DecodeReply(m)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	return &reply, nil
}

// ack acknowledges a message that succeeded: it leaves the queue.
func (p *poller) ack(it *item) {
	ctx, cancel := context.WithTimeout(p.m.work, 5*time.Second)
	defer cancel()
	if err := it.msg.DoubleAck(ctx); err != nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
		p.log.Warn("ack queue message", zap.Error(err)) // it comes back after the ack wait
	}
}

// fail sends a failed message back with a delay, or, once it has failed MaximumRetryAttempts+1
// times, to the OnFailure destination (then acknowledges it).
func (p *poller) fail(it *item, out outcome, reason string) {
	n := int(it.md.NumDelivered)
	if p.esm.MaximumRetryAttempts < 0 || n <= p.esm.MaximumRetryAttempts {
		p.nak(it, rules.ThrottleBackoff(n))
		return
	}
	if p.esm.OnFailure == "" {
		p.log.Warn("queue message dropped: retries exhausted and no OnFailure destination",
			zap.String("message_id", it.rec.MessageID), zap.Int("receives", n))
	} else if err := p.sendOnFailure(it, out, reason); err != nil {
		p.log.Warn("OnFailure destination", zap.String("destination", p.esm.OnFailure), zap.Error(err))
		p.nak(it, rules.ThrottleBackoff(n))
		return
	}
	p.ack(it)
}

// retryAll sends a chunk back after a throttle or a platform failure, and returns the worker's
// pause: the backoff of the chunk's most delivered message.
func (p *poller) retryAll(chunk []*item) time.Duration {
	n := 1
	for _, it := range chunk {
		n = max(n, int(it.md.NumDelivered))
	}
	d := rules.ThrottleBackoff(n)
	for _, it := range chunk {
		p.nak(it, d)
	}
	return d
}

// nak sends a message back to the queue, to be delivered again after d.
func (p *poller) nak(it *item, d time.Duration) {
	if err := it.msg.NakWithDelay(d); err != nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
		p.log.Warn("nak queue message", zap.Error(err)) // it comes back after the ack wait
	}
}

// keepAlive keeps msgs in progress until the returned stop is called.
func (p *poller) keepAlive(msgs []jetstream.Msg) (stop func()) {
	return natssub.KeepInProgress(p.m.cfg.AckWait/3, msgs...)
}
