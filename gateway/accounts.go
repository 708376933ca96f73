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
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// maxAccountConcurrency bounds an account's concurrency limit (a sanity bound, not Lambda's).
const maxAccountConcurrency = 1_000_000

// accountNamePattern is an account name: 1-64 letters, digits, '.', '_' or '-'.
var accountNamePattern = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,64}$`)

// directory is the configured Directory, or the 404 of a gateway without one.
func (g *Gateway) directory(c *gin.Context) (tenant.Directory, error) {
	if g.cfg.Directory == nil {
		return nil, lambdaerr.New(http.StatusNotFound, lambdaerr.CodeUnknownOperation,
			"Unknown operation %s %s: this gateway has no accounts directory", c.Request.Method, c.Request.URL.Path)
	}
	return g.cfg.Directory, nil
}

// createAccount is POST /lambdock/v1/accounts (admin).
func (g *Gateway) createAccount(c *gin.Context) error {
	dir, err := g.directory(c)
	if err != nil {
		return err
	}
	var in lambdaapi.CreateAccountInput
	if err := readJSON(c, maxConfigRequest, "CreateAccount", &in); err != nil {
		return err
	}
	if !accountNamePattern.MatchString(in.Name) {
		return constraint("Name", "satisfy regular expression pattern: [a-zA-Z0-9._-]{1,64}")
	}
	a := &tenant.Account{ID: tenant.NewAccountID(), Name: in.Name, Concurrency: g.cfg.DefaultAccountConcurrency,
		Created: time.Now().UTC()}
	if in.Concurrency != nil {
		if err := validRange("Concurrency", *in.Concurrency, rules.MinUnreservedConcurrency, maxAccountConcurrency); err != nil {
			return err
		}
		a.Concurrency = *in.Concurrency
	}
	if err := dir.CreateAccount(c.Request.Context(), a); err != nil {
		if errors.Is(err, tenant.ErrExists) {
			return lambdaerr.Conflict("Account already exists: %s", in.Name)
		}
		return err
	}
	g.AccountChanged(a.ID) // controllers learn its limit now, not at their next periodic reload
	return writeJSON(c, http.StatusCreated, accountShape(a))
}

// listAccounts is GET /lambdock/v1/accounts (admin).
func (g *Gateway) listAccounts(c *gin.Context) error {
	dir, err := g.directory(c)
	if err != nil {
		return err
	}
	accounts, err := dir.ListAccounts(c.Request.Context())
	if err != nil {
		return err
	}
	out := lambdaapi.ListAccountsOutput{Accounts: make([]lambdaapi.Account, 0, len(accounts))}
	for _, a := range accounts {
		out.Accounts = append(out.Accounts, accountShape(a))
	}
	return writeJSON(c, http.StatusOK, out)
}

// getAccount is GET /lambdock/v1/accounts/{id} (admin).
func (g *Gateway) getAccount(c *gin.Context) error {
	a, err := g.lookupAccount(c)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, accountShape(a))
}

// updateAccount is PATCH /lambdock/v1/accounts/{id} (admin): disable or enable, and change the
// concurrency limit when the Directory supports it. The admin account cannot be disabled. Every
// gateway drops its cached keys of the account (credentialsChanged).
func (g *Gateway) updateAccount(c *gin.Context) error {
	a, err := g.lookupAccount(c)
	if err != nil {
		return err
	}
	var in lambdaapi.UpdateAccountInput
	if err := readJSON(c, maxConfigRequest, "UpdateAccount", &in); err != nil {
		return err
	}
	ctx := c.Request.Context()
	if in.Disabled != nil && *in.Disabled && a.ID == tenant.AdminAccountID {
		return lambdaerr.Conflict("The admin account %s cannot be disabled", a.ID)
	}
	if in.Concurrency != nil {
		if err := validRange("Concurrency", *in.Concurrency, rules.MinUnreservedConcurrency, maxAccountConcurrency); err != nil {
			return err
		}
		a.Concurrency = *in.Concurrency
		if in.Disabled != nil {
			a.Disabled = *in.Disabled
		}
		err := g.cfg.Directory.UpdateAccount(ctx, a)
		g.credentialsChanged(a.ID, "")
		g.AccountChanged(a.ID) // after every write attempt: it may have committed
		if err != nil {
			return accountError(err, a.ID)
		}
	} else if in.Disabled != nil {
		err := g.cfg.Directory.SetAccountDisabled(ctx, a.ID, *in.Disabled)
		g.credentialsChanged(a.ID, "")
		if err != nil {
			return accountError(err, a.ID)
		}
		a.Disabled = *in.Disabled
	}
	return writeJSON(c, http.StatusOK, accountShape(a))
}

// deleteAccount is DELETE /lambdock/v1/accounts/{id} (admin): only an empty account, never the
// admin account.
func (g *Gateway) deleteAccount(c *gin.Context) error {
	a, err := g.lookupAccount(c)
	if err != nil {
		return err
	}
	if a.ID == tenant.AdminAccountID {
		return lambdaerr.Conflict("The admin account %s cannot be deleted", a.ID)
	}
	err = g.cfg.Directory.DeleteAccount(c.Request.Context(), a.ID)
	g.credentialsChanged(a.ID, "")
	if err != nil {
		return accountError(err, a.ID)
	}
	c.Status(http.StatusNoContent)
	return nil
}

// lookupAccount returns the account named by the :id path parameter.
func (g *Gateway) lookupAccount(c *gin.Context) (*tenant.Account, error) {
	dir, err := g.directory(c)
	if err != nil {
		return nil, err
	}
	id := c.Param("id")
	if !tenant.ValidAccountID(id) {
		return nil, constraint("AccountId", "satisfy regular expression pattern: \\d{12}")
	}
	a, err := dir.GetAccount(c.Request.Context(), id)
	if err != nil {
		return nil, accountError(err, id)
	}
	return a, nil
}

// accountError maps Directory errors about account id to Lambda's.
func accountError(err error, id string) error {
	switch {
	case errors.Is(err, tenant.ErrNotFound):
		return lambdaerr.ResourceNotFound("Account not found: %s", id)
	case errors.Is(err, tenant.ErrNotEmpty):
		return lambdaerr.Conflict("Account %s still owns functions or keys; delete them first", id)
	case errors.Is(err, tenant.ErrExists):
		return lambdaerr.Conflict("Account already exists: %s", id)
	}
	return err
}

// accountShape is an account as the API shows it.
func accountShape(a *tenant.Account) lambdaapi.Account {
	return lambdaapi.Account{AccountID: a.ID, Name: a.Name, Concurrency: a.Concurrency, Disabled: a.Disabled,
		Created: a.Created.UTC().Format(time.RFC3339)}
}
