package controller

import (
	"testing"

	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/function"
)

// TestLedgerFreedFor: a release wakes the waiters of the pool it frees a slot in, and only
// them: a reserved function's own, or its account's unreserved pool; a change of reservations
// wakes every waiter.
func TestLedgerFreedFor(t *testing.T) {
	reserved := function.Spec{AccountID: "a", Name: "reserved"}
	open1 := function.Spec{AccountID: "a", Name: "open1"}
	open2 := function.Spec{AccountID: "a", Name: "open2"}
	other := function.Spec{AccountID: "b", Name: "open"}
	closed := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	tests := []struct {
		name    string
		release function.Spec
		woken   map[string]bool // by function name and account
	}{
		{"a reserved function's release", reserved,
			map[string]bool{"a/reserved": true, "a/open1": false, "a/open2": false, "b/open": false}},
		{"an unreserved function's release", open1,
			map[string]bool{"a/reserved": false, "a/open1": true, "a/open2": true, "b/open": false}},
		{"another account's release", other,
			map[string]bool{"a/reserved": false, "a/open1": false, "a/open2": false, "b/open": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLedger(10, ledgerExpiry, zap.NewNop())
			l.setReservations(nil, map[string]int{reserved.Key(): 2})
			ls, err := l.admit("r", tt.release)
			if err != nil {
				t.Fatal(err)
			}
			signals := map[string]<-chan struct{}{}
			for _, s := range []function.Spec{reserved, open1, open2, other} {
				signals[s.Key()] = l.freedForSignal(s.Key())
			}
			l.release(ls)
			for fn, want := range tt.woken {
				if got := closed(signals[fn]); got != want {
					t.Errorf("%s woken %v, want %v", fn, got, want)
				}
			}
			again := l.freedForSignal(tt.release.Key())
			if closed(again) {
				t.Fatal("a signal taken after the release is closed already")
			}
			l.setReservations(nil, map[string]int{})
			if !closed(again) {
				t.Fatal("a change of reservations did not wake the waiters")
			}
		})
	}
}
