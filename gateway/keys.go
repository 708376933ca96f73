package gateway

import (
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// maxKeyFunctions bounds an invoke key's function list.
const maxKeyFunctions = 100

// keyFunctionPattern is one entry of an invoke key's function list: a function name, or a
// prefix of one followed by "*".
var keyFunctionPattern = regexp.MustCompile(`^([a-zA-Z0-9_-]{1,64}|[a-zA-Z0-9_-]{0,63}\*)$`)

// createKey is POST /lambdock/v1/keys: a new key in the caller's account (or, for admin, in
// AccountId). Owners may create owner and invoke keys; admin keys belong to the admin account.
// The answer carries the secret; nothing else ever shows it again.
func (g *Gateway) createKey(c *gin.Context) error {
	dir, err := g.directory(c)
	if err != nil {
		return err
	}
	var in lambdaapi.CreateKeyInput
	if err := readJSON(c, maxConfigRequest, "CreateKey", &in); err != nil {
		return err
	}
	caller := callerOf(c)
	k := &tenant.Key{ID: tenant.NewKeyID(), AccountID: caller.AccountID, Role: tenant.RoleInvoke,
		Functions: in.Functions, Created: time.Now().UTC(), Secret: tenant.NewSecret()}
	if in.AccountID != "" {
		if !tenant.ValidAccountID(in.AccountID) {
			return constraint("AccountId", "satisfy regular expression pattern: \\d{12}")
		}
		if in.AccountID != caller.AccountID && caller.Role != tenant.RoleAdmin {
			return g.denyKeys(c, caller, "CreateKey", in.AccountID)
		}
		k.AccountID = in.AccountID
	}
	if in.Role != "" {
		if k.Role, err = tenant.ParseRole(in.Role); err != nil {
			return constraint("Role", "satisfy enum value set: [admin, owner, invoke]")
		}
	}
	if err := validateKeyRole(k, caller); err != nil {
		return err
	}
	if err := dir.CreateKey(c.Request.Context(), k); err != nil {
		if errors.Is(err, tenant.ErrNotFound) {
			return lambdaerr.ResourceNotFound("Account not found: %s", k.AccountID)
		}
		if errors.Is(err, tenant.ErrExists) {
			return lambdaerr.Conflict("Key already exists: %s", k.ID)
		}
		return err
	}
	out := keyShape(k)
	out.SecretAccessKey = k.Secret
	return writeJSON(c, http.StatusCreated, out)
}

// validateKeyRole checks the role and function list of a new key against its creator.
func validateKeyRole(k *tenant.Key, caller tenant.Caller) error {
	switch {
	case k.Role == tenant.RoleAdmin && caller.Role != tenant.RoleAdmin:
		return constraint("Role", "be owner or invoke for a key created by an owner")
	case k.Role == tenant.RoleAdmin && k.AccountID != tenant.AdminAccountID:
		return constraint("Role", "be owner or invoke outside the admin account %s", tenant.AdminAccountID)
	case len(k.Functions) > 0 && k.Role != tenant.RoleInvoke:
		return constraint("Functions", "be empty unless Role is invoke")
	case len(k.Functions) > maxKeyFunctions:
		return constraint("Functions", "have length less than or equal to %d", maxKeyFunctions)
	}
	for _, f := range k.Functions {
		if !keyFunctionPattern.MatchString(f) {
			return lambdaerr.InvalidParameter("'Functions' value %q failed to satisfy constraint: Member must be a "+
				"function name (1-64 characters of [a-zA-Z0-9-_]) or a prefix of one followed by *", f)
		}
	}
	return nil
}

// listKeys is GET /lambdock/v1/keys[?account=ID]: the caller's account's keys; an admin may
// name another account or, with account=*, list every key.
func (g *Gateway) listKeys(c *gin.Context) error {
	dir, err := g.directory(c)
	if err != nil {
		return err
	}
	caller := callerOf(c)
	account := caller.AccountID
	if q, ok := c.GetQuery("account"); ok && q != account {
		switch {
		case q != "*" && !tenant.ValidAccountID(q):
			return constraint("account", "satisfy regular expression pattern: \\d{12} or be *")
		case caller.Role != tenant.RoleAdmin:
			return g.denyKeys(c, caller, "ListKeys", q)
		case q == "*":
			account = ""
		default:
			account = q
		}
	}
	keys, err := dir.ListKeys(c.Request.Context(), account)
	if err != nil {
		return err
	}
	out := lambdaapi.ListKeysOutput{Keys: make([]lambdaapi.AccessKey, 0, len(keys))}
	for _, k := range keys {
		out.Keys = append(out.Keys, keyShape(k))
	}
	return writeJSON(c, http.StatusOK, out)
}

// updateKey is PATCH /lambdock/v1/keys/{id}: disable or enable a key. Every gateway drops its
// cached copy (credentialsChanged), so a disabled key is refused on its next request.
func (g *Gateway) updateKey(c *gin.Context) error {
	k, err := g.lookupKey(c, "UpdateKey")
	if err != nil {
		return err
	}
	var in lambdaapi.UpdateKeyInput
	if err := readJSON(c, maxConfigRequest, "UpdateKey", &in); err != nil {
		return err
	}
	if in.Disabled != nil {
		err := g.cfg.Directory.SetKeyDisabled(c.Request.Context(), k.ID, *in.Disabled)
		g.credentialsChanged(k.AccountID, k.ID)
		if err != nil {
			return keyError(err, k.ID)
		}
		k.Disabled = *in.Disabled
	}
	return writeJSON(c, http.StatusOK, keyShape(k))
}

// deleteKey is DELETE /lambdock/v1/keys/{id}; every gateway drops its cached copy.
func (g *Gateway) deleteKey(c *gin.Context) error {
	k, err := g.lookupKey(c, "DeleteKey")
	if err != nil {
		return err
	}
	err = g.cfg.Directory.DeleteKey(c.Request.Context(), k.ID)
	g.credentialsChanged(k.AccountID, k.ID)
	if err != nil {
		return keyError(err, k.ID)
	}
	c.Status(http.StatusNoContent)
	return nil
}

// lookupKey returns the key named by :id if the caller may manage it: an admin any key, an
// owner those of its account but its admin keys (which it cannot create either: AccessDenied
// for operation op). Another account's key is not found, as Lambda answers for another
// account's function.
func (g *Gateway) lookupKey(c *gin.Context, op string) (*tenant.Key, error) {
	dir, err := g.directory(c)
	if err != nil {
		return nil, err
	}
	id := c.Param("id")
	if !tenant.ValidKeyID(id) {
		return nil, constraint("AccessKeyId", "satisfy regular expression pattern: AKIA[A-Z2-7]{16}")
	}
	k, err := dir.GetKey(c.Request.Context(), id)
	if err != nil {
		return nil, keyError(err, id)
	}
	k.Secret = "" // never leaves this function
	caller := callerOf(c)
	switch {
	case caller.Role == tenant.RoleAdmin:
	case k.AccountID != caller.AccountID:
		return nil, keyError(tenant.ErrNotFound, id)
	case k.Role == tenant.RoleAdmin:
		return nil, lambdaerr.AccessDenied(principalARN(caller), lambdockService+":"+op,
			"arn:aws:lambdock::"+k.AccountID+":key/"+k.ID)
	}
	return k, nil
}

// denyKeys is the AccessDenied of an owner reaching for another account's keys.
func (g *Gateway) denyKeys(c *gin.Context, caller tenant.Caller, op, account string) error {
	return lambdaerr.AccessDenied(principalARN(caller), lambdockService+":"+op,
		"arn:aws:lambdock::"+account+":key/*")
}

// keyError maps Directory errors about key id to Lambda's.
func keyError(err error, id string) error {
	if errors.Is(err, tenant.ErrNotFound) {
		return lambdaerr.ResourceNotFound("Key not found: %s", id)
	}
	return err
}

// keyShape is a key as the API shows it, without its secret.
func keyShape(k *tenant.Key) lambdaapi.AccessKey {
	return lambdaapi.AccessKey{AccessKeyID: k.ID, AccountID: k.AccountID, Role: string(k.Role),
		Functions: k.Functions, Disabled: k.Disabled, Created: k.Created.UTC().Format(time.RFC3339)}
}
