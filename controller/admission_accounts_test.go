package controller

import (
	"testing"

	"github.com/lambdock/lambdock/internal/contract/function"
)

// Two accounts, A with limit 1 and B with limit 2: each has its own limit, reservations and
// unreserved pool, and functions of the same name in both are counted apart.
func TestAdmissionPerAccount(t *testing.T) {
	const a, b = "111111111111/", "222222222222/"
	limits := step{op: "limits", all: map[string]int{"111111111111": 1, "222222222222": 2}}
	tests := []struct {
		name  string
		steps []step
	}{
		{"each account has its own limit", []step{
			limits, admit(a + "f"), throttle(a+"f", accountReason), throttle(a+"g", accountReason),
			admit(b + "f"), admit(b + "g"), throttle(b+"h", accountReason),
		}},
		{"the same name in two accounts is two functions", []step{
			limits, reserve(a+"f", 1), admit(a + "f"), throttle(a+"f", reservedReason),
			admit(b + "f"), admit(b + "f"), throttle(b+"f", accountReason),
			release(a + "f"), admit(a + "f"), release(b + "f"), admit(b + "f"),
		}},
		{"a reservation shrinks only its own account's unreserved pool", []step{
			limits, reserve(b+"r", 1), admit(b + "x"), throttle(b+"y", accountReason),
			admit(a + "x"), admit(b + "r"), throttle(b+"r", reservedReason),
		}},
		{"a release frees only its own account", []step{
			limits, admit(a + "f"), admit(b + "f"), admit(b + "g"),
			release(b + "g"), throttle(a+"x", accountReason), admit(b + "x"),
			release(a + "f"), admit(a + "x"),
		}},
		{"an account without a limit has the default", []step{
			limits, admit("333333333333/f"), admit("333333333333/g"), admit("333333333333/h"),
			throttle("333333333333/i", accountReason),
		}},
		{"lowering a limit keeps what is in flight and throttles new invocations", []step{
			limits, admit(b + "f"), admit(b + "g"),
			{op: "limits", all: map[string]int{"222222222222": 1}},
			throttle(b+"h", accountReason), release(b + "f"), throttle(b+"h", accountReason),
			release(b + "g"), admit(b + "h"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSteps(t, 3, tt.steps) })
	}
}

// specKeys turns reservations by name (of the admin account) into reservations by
// function.Spec.Key, as the controller keeps them.
func specKeys(byName map[string]int) map[string]int {
	out := make(map[string]int, len(byName))
	for name, n := range byName {
		out[function.Spec{Name: name}.Key()] = n
	}
	return out
}
