package msg

import (
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
)

// Provisioned concurrency (lambda-api.md §9.6):
//
//	controller (provisioner) --request(InvokerProvisionSubject(id), ProvisionSet)--> invoker
//	invoker --reply(ProvisionStatus)--> controller, which writes each configuration's Allocated and
//	Status (IN_PROGRESS → READY, or FAILED with the reason) to Postgres.
//
// A ProvisionSet is the whole of what one invoker keeps ready: it replaces the previous set, so
// a target left out is torn down. The provisioner sends it on every change and again every few
// seconds, so an invoker that restarted or lost an environment is brought back to its targets.
//
// Order: sets from several controllers, or a late retry, may arrive out of order. Each carries
// Sent, when its controller planned it; an invoker ignores a set planned before the one it
// applied last (controllers' clocks are assumed to agree within a second or so, as NTP keeps
// them; the invoker stops comparing after a quiet ProvisionSetOrderWindow, so a controller whose
// clock is behind is not ignored for good once the others are gone).
//
// TTL: an invoker that has received no set for ProvisionSetTTL (ten provisioner intervals) has
// lost every controller, or been cut off from them, and they have long expired its heartbeats
// and planned its environments onto other invokers. It then drops its set and tears its
// provisioned environments down, rather than keep (and bill) environments nobody can invoke and
// that are kept elsewhere: provisioned concurrency is the controllers' request, not the
// invoker's. When a controller comes back, its sets start them again.

// InvokerProvisionSubject is where invoker id takes ProvisionSet requests.
func InvokerProvisionSubject(id string) string { return "lambdock.invoker." + id + ".provision" }

// ProvisionSet is the provisioned environments an invoker keeps initialised and warm.
type ProvisionSet struct {
	ControllerID string `json:"controller_id"`
	// Sent is when the controller planned the set (its clock): an invoker ignores a set older
	// than the one it applied last. Zero (a controller that predates it) is never older.
	Sent    time.Time         `json:"sent,omitzero"`
	Targets []ProvisionTarget `json:"targets"`
}

// ProvisionSetTTL is how long an invoker keeps its set without receiving any: then it drops
// it (see the top of this file).
const ProvisionSetTTL = 30 * time.Second

// ProvisionSetOrderWindow is how long after the last set it applied an invoker still ignores
// an older one: reordered sets arrive within a few seconds of each other.
const ProvisionSetOrderWindow = 10 * time.Second

// ProvisionTarget is one provisioned concurrency configuration's share on an invoker.
type ProvisionTarget struct {
	// Key names the configuration: <account>/<function>:<qualifier> (ProvisionKey).
	Key string `json:"key"`
	// Function is the version the environments run (Version is a number, never $LATEST). For an
	// alias with routing, the configuration has one target per version.
	Function function.Spec `json:"function"`
	// Count is how many environments of Function's pool key the invoker keeps initialised.
	Count int `json:"count"`
}

// ProvisionStatus is an invoker's answer to a ProvisionSet: how far each target is.
type ProvisionStatus struct {
	InvokerID string                  `json:"invoker_id"`
	Targets   []ProvisionTargetStatus `json:"targets"`
}

// ProvisionTargetStatus is one target's progress on an invoker.
type ProvisionTargetStatus struct {
	Key      string `json:"key"`
	Function string `json:"function_pool_key"` // function.Spec.PoolKey of the target
	// Ready is the environments whose init has ended successfully and that are kept warm.
	Ready int `json:"ready"`
	// Failed is the reason the latest init of the target failed ("" when none failed since the
	// target was set): the configuration is FAILED with it.
	Failed string `json:"failed,omitempty"`
}

// ProvisionKey is ProvisionTarget.Key of the configuration on qualifier of account's function.
func ProvisionKey(account, fn, qualifier string) string { return account + "/" + fn + ":" + qualifier }
