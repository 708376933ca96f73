package msg

import "time"

// Several controllers (docs/distributed.md): one of them at a time is the active controller. It
// holds the lease LeaseKeyController in BucketLeases, takes every invocation (SubjectInvoke, the
// event stream) and so counts every running environment against the limits; the others stand by,
// follow the invokers' heartbeats and take the lease over when it lapses. A new active controller
// asks every invoker for a heartbeat at once (SubjectHeartbeatRequest) and adopts the
// invocations still running (Heartbeat.Leases) before it admits anything.
const (
	// LeaseKeyController is the key of the active controller's lease in BucketLeases.
	LeaseKeyController = "controller"
	// SubjectHeartbeatRequest asks every invoker to publish its heartbeat now (an empty message).
	SubjectHeartbeatRequest = "lambdock.v1.invoker.heartbeat.request"
)

// Lease is the value of a lease key in BucketLeases: who holds it and until when it holds without
// a renewal. It is taken and renewed by compare-and-set on the key's revision, so two holders can
// never both succeed; a holder stops acting on it a margin before Expires.
type Lease struct {
	// Holder names the holder: for the controller lease, "<controller id>/<instance>", where the
	// instance is new every time the process starts.
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
}

// BusyLease is one invocation an invoker took and has not yet released, with what a controller
// needs to count it: a controller that becomes active adopts it as a lease of its own until the
// invoker's Released (or the heartbeats) end it.
type BusyLease struct {
	// Token is the invocation's HeaderLease (as in Heartbeat.Busy).
	Token string `json:"token"`
	// RequestID is the invocation's request id.
	RequestID string `json:"request_id"`
	// Function is the function's key (function.Spec.Key: <account>/<name>).
	Function string `json:"function"`
	// Pool is the environment's pool key (function.Spec.PoolKey).
	Pool string `json:"pool"`
	// MemoryMB is the environment's memory.
	MemoryMB int `json:"memory_mb"`
	// Provisioned says the invocation runs on a provisioned concurrency environment.
	Provisioned bool `json:"provisioned,omitempty"`
}
