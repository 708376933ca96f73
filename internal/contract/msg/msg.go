// Package msg is the contract of the NATS link: every subject, queue group, header, JetStream
// stream and bucket name and message type Lambdock sends, with the one encoder and decoder
// (Encode, Decode) that the gateway, the controller and the invoker all use. A change to a
// message shape gets a new version prefix in its subject.
//
// Encoding: an Invocation or InvocationReply is its payload as the raw message body, never
// re-encoded, with the rest as JSON in one header (HeaderInvocation, HeaderReply); the
// controller routes on that header and forwards the message untouched (ForwardInvocation,
// ForwardReply). Every other message is a JSON body (Encode, Decode). The two headers are read
// on every invocation, so DecodeInvocation and DecodeReply parse the form the encoder writes
// without reflection and leave anything else to encoding/json (fastdecode.go).
//
// Sync invoke:
//
//	gateway    --request(SubjectInvoke, Invocation)-------------> controller (queue group)
//	controller --request(InvokerSubject(id), Invocation)--------> invoker
//	invoker    --reply(InvocationReply; HeaderReplyError on failure)--> controller --reply--> gateway
//	invoker    --publish(InvokerReleasedSubject(id), Released)--> controllers, for every
//	           invocation the invoker took (did not refuse), once its environment is no longer
//	           busy (the runtime called /next, the environment was removed, or it never started),
//	           which releases the slot
//
// Streamed invoke (an Invocation with StreamSubject): as above, and before its reply the
// invoker publishes the response on StreamSubject in order: StreamChunk messages (raw bytes,
// HeaderStreamSeq 0, 1, …), then one StreamEnd (HeaderStreamEnd, HeaderStreamError when it
// failed). The reply says Streamed.
//
// Heartbeats: invoker --publish(SubjectInvokerHeartbeat, Heartbeat)--> controllers (placement,
// and reconciliation of the slots: Heartbeat.Busy lists the invocations the invoker took and has
// not released, so a controller frees the slot of one whose Released was lost).
//
// Changes: gateway --publish(SubjectFunctionChanged, FunctionChanged)--> the gateways' function
// caches, the controllers' reservations and their queue trigger pollers (controller/esm; the
// gateway also publishes one, naming the mapping's function, after an event source mapping
// changes).
//
// Metering: invoker --JetStream publish(UsageSubject(id), Usage, Nats-Msg-Id = Usage.MsgID())-->
// StreamUsage --durable consumer ConsumerUsage--> Postgres (batched, idempotent).
//
// Code: the gateway puts zips into the JetStream object store BucketCode, named by hex SHA-256;
// invokers read them on a code-cache miss.
//
// What this package is not: the subscription lifecycle (internal/infra/natssub), the NATS
// server (internal/infra/natsserver), or the invoker ↔ agent channel (internal/contract/agentproto).
package msg

import (
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// Subjects, streams and buckets.
const (
	SubjectInvoke           = "lambdock.v1.invoke"
	QueueControllers        = "lambdock-controllers"
	SubjectInvokerHeartbeat = "lambdock.v1.invoker.heartbeat"
	SubjectFunctionChanged  = "lambdock.v1.function.changed"
	StreamUsage             = "LAMBDOCK_USAGE"
	SubjectUsageAll         = "lambdock.v1.usage.>"
	ConsumerUsage           = "lambdock-usage-writer"
	BucketCode              = "lambdock-code"
	// MaxPayload is the NATS max_payload Lambdock needs: a 6 MB event or result is the raw body
	// of its message and the rest travels in headers, well under 8 MiB. It is the most NATS
	// recommends (nats-server warns above it) but not its default (1 MiB): the embedded server
	// is configured with it; an external NATS must allow at least this.
	MaxPayload = 8 * 1024 * 1024
)

// HeaderReplyError is set on an InvocationReply message that carries an Error, to its code, so a
// relay (the controller) can tell a failure without decoding HeaderReply.
const HeaderReplyError = "Lambdock-Error"

// HeaderLease is set by the controller on the Invocation it sends to an invoker, to the token of
// the slot the invocation holds; the invoker copies it into Released.Lease so that the controller
// frees exactly that slot (never a later one with the same request id).
const HeaderLease = "Lambdock-Lease"

// HeaderInstance is set by the controller on the Invocation it sends to an invoker, to the
// Heartbeat.Instance it placed it by. An invoker of another instance (the process restarted under
// the same ID) refuses it: the controller freed that instance's slots when the new one appeared.
const HeaderInstance = "Lambdock-Instance"

// HeaderRefused is set on a failure reply when the invoker did not take the invocation at all
// (shutting down, another instance, undecodable): nothing ran and no Released follows, so the
// controller may place it elsewhere.
const HeaderRefused = "Lambdock-Refused"

// HeaderOutcomeUnknown marks a controller's failure reply (a ServiceException) sent after the
// invocation may have reached an invoker: no answer within the backstop, a dispatch error after
// the request was sent, or the controller stopping while it waited. The function may have run.
// A failure without it (no invoker, no responders, refused, throttled) did not run.
const HeaderOutcomeUnknown = "Lambdock-Outcome-Unknown"

// InvokerSubject is where invoker id takes invocations: lambdock.invoker.<id>.invoke.
func InvokerSubject(id string) string { return "lambdock.invoker." + id + ".invoke" }

// InvokerReleasedSubject is where invoker id announces that an environment is free again.
func InvokerReleasedSubject(id string) string { return "lambdock.invoker." + id + ".released" }

// UsageSubject is where invoker id publishes usage records.
func UsageSubject(id string) string { return "lambdock.v1.usage." + id }

// Invocation is one sync invocation, as the gateway resolved it.
type Invocation struct {
	RequestID          string        `json:"request_id"`
	Function           function.Spec `json:"function"`
	Payload            []byte        `json:"-"` // the message body, raw
	InvokedFunctionArn string        `json:"invoked_function_arn,omitempty"`
	ClientContext      string        `json:"client_context,omitempty"` // decoded JSON
	TraceID            string        `json:"trace_id,omitempty"`
	LogTail            bool          `json:"log_tail,omitempty"` // X-Amz-Log-Type: Tail
	// Deadline is when the gateway stops waiting; the controller ends its backstop just before it.
	Deadline time.Time `json:"deadline"`
	// StreamSubject, when set, asks for the response as a stream (a RESPONSE_STREAM function
	// URL): the gateway subscribed to this fresh inbox before it sent the invocation, and the
	// invoker publishes the response there as it comes (StreamChunk, then StreamEnd). The reply
	// then carries no payload and says Streamed.
	StreamSubject string `json:"stream_subject,omitempty"`
	// Event is set on an asynchronous invocation (events.go); nil on a sync one.
	Event *EventInfo `json:"event,omitempty"`
	// Type is how the invocation came (InvocationType*), for its usage record; "" means sync,
	// or, with Event set, what Event.Source says (UsageType).
	Type string `json:"type,omitempty"`
	// Qualifier is the alias or version the caller named ("" when unqualified), for the usage
	// record. An asynchronous invocation carries it in Event.Qualifier.
	Qualifier string `json:"qualifier,omitempty"`
}

// UsageType is the InvocationType* of the invocation's usage record.
func (inv Invocation) UsageType() string {
	switch {
	case inv.Type != "":
		return inv.Type
	case inv.Event == nil:
		return InvocationTypeSync
	case inv.Event.Source == EventSourceSchedule:
		return InvocationTypeSchedule
	}
	return InvocationTypeAsync
}

// Attempt is the invocation's 1-based attempt (an asynchronous retry's; 1 otherwise).
func (inv Invocation) Attempt() int {
	if inv.Event != nil && inv.Event.Attempt > 1 {
		return inv.Event.Attempt
	}
	return 1
}

// InvocationReply answers an Invocation. Exactly one of Error or the result fields is meaningful.
type InvocationReply struct {
	// Error is set when the request was rejected or the platform failed (the function did not
	// run or its outcome is unknown); it renders as a Lambda API error.
	Error *lambdaerr.APIError `json:"error,omitempty"`

	RequestID       string `json:"request_id"`
	Payload         []byte `json:"-"` // the message body, raw
	ContentType     string `json:"content_type,omitempty"`
	FunctionError   string `json:"function_error,omitempty"` // error type; "" on success
	ExecutedVersion string `json:"executed_version"`
	LogTail         []byte `json:"log_tail,omitempty"` // only when the Invocation asked for it
	// Streamed says the response went to the Invocation's StreamSubject (FunctionError then
	// repeats the stream's outcome); a reply to an invocation that asked for a stream without
	// it is a buffered one (the function failed before it began a response).
	Streamed bool `json:"streamed,omitempty"`
}

// Released tells controllers that the environment that took RequestID is no longer busy. The
// invoker sends one for every invocation it took, whatever its outcome (a refused one gets a
// reply with HeaderRefused instead).
type Released struct {
	RequestID string `json:"request_id"`
	InvokerID string `json:"invoker_id"`
	// Lease is the Invocation's HeaderLease, "" when it had none.
	Lease string `json:"lease,omitempty"`
	// Warm is true when the environment went back to the pool idle (the invocation ran and the
	// runtime asked for the next event); false when it was removed or never started.
	Warm bool `json:"warm,omitempty"`
}

// Heartbeat is an invoker's capacity and warm pool, published every few seconds and on change.
type Heartbeat struct {
	InvokerID string `json:"invoker_id"`
	// Instance is new every time the invoker's NATS service starts: a change tells controllers
	// that the invocations of the previous instance are gone.
	Instance   string         `json:"instance,omitempty"`
	CapacityMB int            `json:"capacity_mb"`
	UsedMB     int            `json:"used_mb"`
	IdleByKey  map[string]int `json:"idle_by_key"` // function.Spec.PoolKey() → idle containers
	// ProvisionedByKey is the provisioned concurrency environments kept initialised, idle or
	// busy, by function.Spec.PoolKey() (the free ones are in IdleByKey too), and ProvisionedMB
	// their memory (in UsedMB too): capacity reserved for their functions.
	ProvisionedByKey map[string]int `json:"provisioned_by_key,omitempty"`
	ProvisionedMB    int            `json:"provisioned_mb,omitempty"`
	// ProvisionedIdleByKey is, of those, the free ones (initialised and idle: in IdleByKey
	// too): a controller admits an invocation on provisioned concurrency only when one is free.
	ProvisionedIdleByKey map[string]int `json:"provisioned_idle_by_key,omitempty"`
	// Busy lists the invocations this instance took and has not yet published a Released for:
	// their HeaderLease tokens (the RequestID of one taken without a lease header). A controller
	// frees a lease placed on this instance that is missing from several heartbeats in a row: its
	// Released was lost (core NATS is at most once) or the invocation never arrived.
	Busy []string `json:"busy,omitempty"`
	// Reconcile says Busy is complete, so a lease missing from it is not busy here. An invoker
	// that predates Busy sends neither; controllers do not reconcile its heartbeats.
	Reconcile bool `json:"reconcile,omitempty"`
	// Leases details Busy: one entry per invocation taken and not released, so that a controller
	// that becomes active counts what its predecessor admitted (cluster.go).
	Leases []BusyLease `json:"leases,omitempty"`
	// Draining says an operator drains this invoker (lambdock invokers drain): it finishes what
	// it runs and takes no new environments; controllers place nothing new on it.
	Draining bool `json:"draining,omitempty"`
}

// FunctionChanged says a function's configuration, code or concurrency changed or it was deleted.
// An event with an empty Name is about the account itself (its concurrency limit changed).
type FunctionChanged struct {
	// AccountID owns the function; "" in events of gateways older than accounts (the admin
	// account).
	AccountID string `json:"account_id,omitempty"`
	Name      string `json:"name,omitempty"`
	Deleted   bool   `json:"deleted,omitempty"`
	// Version, when set, is a published version of the function that was deleted (the
	// function itself remains): invokers remove its containers.
	Version string `json:"version,omitempty"`
}
