package tenant

import (
	"context"
	"testing"
)

func TestMayInvoke(t *testing.T) {
	tests := []struct {
		role  Role
		fns   []string
		fn    string
		allow bool
	}{
		{RoleAdmin, []string{"x"}, "y", true},
		{RoleOwner, nil, "y", true},
		{RoleInvoke, nil, "anything", true},
		{RoleInvoke, []string{"f1", "img-*"}, "f1", true},
		{RoleInvoke, []string{"f1", "img-*"}, "img-resize", true},
		{RoleInvoke, []string{"f1", "img-*"}, "img-", true},
		{RoleInvoke, []string{"f1", "img-*"}, "f10", false},
		{RoleInvoke, []string{"f1", "img-*"}, "im", false},
		{RoleInvoke, []string{"*"}, "any", true},
	}
	for _, tt := range tests {
		k := &Key{Role: tt.role, Functions: tt.fns}
		if got := k.MayInvoke(tt.fn); got != tt.allow {
			t.Errorf("%s %v may invoke %q = %v, want %v", tt.role, tt.fns, tt.fn, got, tt.allow)
		}
	}
}

func TestIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		a, k, s := NewAccountID(), NewKeyID(), NewSecret()
		if !ValidAccountID(a) || a == AdminAccountID || !ValidKeyID(k) || !ValidSecret(s) {
			t.Fatalf("bad ids: account %q key %q secret length %d", a, k, len(s))
		}
		if seen[a] || seen[k] || seen[s] {
			t.Fatalf("repeated id")
		}
		seen[a], seen[k], seen[s] = true, true, true
	}
	for _, bad := range []string{"", "12345678901", "1234567890123", "12345678901a"} {
		if ValidAccountID(bad) {
			t.Errorf("ValidAccountID(%q)", bad)
		}
	}
	for _, bad := range []string{"", "short", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY!", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYx"} {
		if ValidSecret(bad) {
			t.Errorf("ValidSecret(%q)", bad)
		}
	}
	if !ValidSecret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY") {
		t.Error("ValidSecret refused AWS's example secret")
	}
	for _, bad := range []string{"AKIA", "ASIAABCDEFGHIJKLMNOP", "AKIAabcdefghijklmnop", "AKIAABCDEFGHIJKLMNO1"} {
		if ValidKeyID(bad) {
			t.Errorf("ValidKeyID(%q)", bad)
		}
	}
}

func TestParseRoleAndCaller(t *testing.T) {
	for _, s := range []string{"admin", "owner", "invoke"} {
		if r, err := ParseRole(s); err != nil || string(r) != s {
			t.Errorf("ParseRole(%q) = %q, %v", s, r, err)
		}
	}
	if _, err := ParseRole("root"); err == nil {
		t.Error("ParseRole(root) accepted")
	}
	ctx := NewContext(context.Background(), Caller{AccountID: "111111111111", Role: RoleInvoke, Functions: []string{"a"}})
	c, ok := FromContext(ctx)
	if !ok || c.AccountID != "111111111111" || c.Key().MayInvoke("b") {
		t.Errorf("caller round trip: %+v %v", c, ok)
	}
	if _, ok := FromContext(context.Background()); ok {
		t.Error("empty context has a caller")
	}
}
