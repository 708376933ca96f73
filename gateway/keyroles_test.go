package gateway_test

import (
	"context"
	"testing"

	"github.com/lambdock/lambdock/internal/contract/tenant"
)

// TestOwnerCannotManageAdminKeys: an owner key of the admin account manages that account's owner
// and invoke keys, but not its admin keys: it cannot create them, so it cannot disable, re-enable
// (a revoked admin key) or delete them either.
func TestOwnerCannotManageAdminKeys(t *testing.T) {
	env, _ := authEnv(t)
	ctx := context.Background()
	ownerKey := env.AddKey(t, tenant.AdminAccountID, tenant.RoleOwner)
	owner := env.SignedClient(ownerKey)
	spare := env.AddKey(t, tenant.AdminAccountID, tenant.RoleAdmin)

	_, err := owner.SetKeyDisabled(ctx, env.Admin.ID, true)
	apiErr(t, "disable the admin key", err, 403, "AccessDeniedException", env.Admin.ID)
	err = owner.DeleteKey(ctx, spare.ID)
	apiErr(t, "delete an admin key", err, 403, "AccessDeniedException", spare.ID)

	if _, err := env.Client.SetKeyDisabled(ctx, spare.ID, true); err != nil {
		t.Fatal(err)
	}
	_, err = owner.SetKeyDisabled(ctx, spare.ID, false)
	apiErr(t, "re-enable a disabled admin key", err, 403, "AccessDeniedException", spare.ID)
	if k, err := env.Directory.GetKey(ctx, spare.ID); err != nil || !k.Disabled {
		t.Fatalf("the spare admin key: %+v %v; want it still disabled", k, err)
	}

	// The admin key still works, and the owner still manages the account's lesser keys.
	if _, err := env.Client.ListKeys(ctx, ""); err != nil {
		t.Fatalf("admin after the owner's attempts: %v", err)
	}
	inv := env.AddKey(t, tenant.AdminAccountID, tenant.RoleInvoke)
	if k, err := owner.SetKeyDisabled(ctx, inv.ID, true); err != nil || !k.Disabled {
		t.Fatalf("owner disables an invoke key: %+v %v", k, err)
	}
	if err := owner.DeleteKey(ctx, inv.ID); err != nil {
		t.Fatalf("owner deletes an invoke key: %v", err)
	}
}
