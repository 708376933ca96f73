package lambdaclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// Paths of Lambdock's accounts and keys API.
const (
	accountsPath = "/lambdock/v1/accounts"
	keysPath     = "/lambdock/v1/keys"
)

// CreateAccount creates an account (admin); concurrency nil means the platform's default.
func (c *Client) CreateAccount(ctx context.Context, name string, concurrency *int) (*lambdaapi.Account, error) {
	var out lambdaapi.Account
	in := lambdaapi.CreateAccountInput{Name: name, Concurrency: concurrency}
	if err := c.call(ctx, request{method: http.MethodPost, path: accountsPath, success: http.StatusCreated}, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAccounts lists every account (admin).
func (c *Client) ListAccounts(ctx context.Context) ([]lambdaapi.Account, error) {
	var out lambdaapi.ListAccountsOutput
	if err := c.call(ctx, request{method: http.MethodGet, path: accountsPath}, nil, &out); err != nil {
		return nil, err
	}
	return out.Accounts, nil
}

// GetAccount returns one account (admin).
func (c *Client) GetAccount(ctx context.Context, id string) (*lambdaapi.Account, error) {
	var out lambdaapi.Account
	if err := c.call(ctx, request{method: http.MethodGet, path: accountsPath + "/" + url.PathEscape(id)}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateAccount disables or enables an account or changes its concurrency limit (admin).
func (c *Client) UpdateAccount(ctx context.Context, id string, in lambdaapi.UpdateAccountInput) (*lambdaapi.Account, error) {
	var out lambdaapi.Account
	if err := c.call(ctx, request{method: http.MethodPatch, path: accountsPath + "/" + url.PathEscape(id)}, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteAccount deletes an account that owns no functions and no keys (admin).
func (c *Client) DeleteAccount(ctx context.Context, id string) error {
	r := request{method: http.MethodDelete, path: accountsPath + "/" + url.PathEscape(id), success: http.StatusNoContent}
	return c.call(ctx, r, nil, nil)
}

// CreateKey creates an access key; the answer is the only one that carries its secret.
func (c *Client) CreateKey(ctx context.Context, in lambdaapi.CreateKeyInput) (*lambdaapi.AccessKey, error) {
	var out lambdaapi.AccessKey
	if err := c.call(ctx, request{method: http.MethodPost, path: keysPath, success: http.StatusCreated}, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListKeys lists the keys of the caller's account, or of account (admin; "*" for all).
func (c *Client) ListKeys(ctx context.Context, account string) ([]lambdaapi.AccessKey, error) {
	r := request{method: http.MethodGet, path: keysPath}
	if account != "" {
		r.query = url.Values{"account": {account}}
	}
	var out lambdaapi.ListKeysOutput
	if err := c.call(ctx, r, nil, &out); err != nil {
		return nil, err
	}
	return out.Keys, nil
}

// SetKeyDisabled disables or enables a key.
func (c *Client) SetKeyDisabled(ctx context.Context, id string, disabled bool) (*lambdaapi.AccessKey, error) {
	var out lambdaapi.AccessKey
	in := lambdaapi.UpdateKeyInput{Disabled: &disabled}
	if err := c.call(ctx, request{method: http.MethodPatch, path: keysPath + "/" + url.PathEscape(id)}, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteKey deletes a key.
func (c *Client) DeleteKey(ctx context.Context, id string) error {
	r := request{method: http.MethodDelete, path: keysPath + "/" + url.PathEscape(id), success: http.StatusNoContent}
	return c.call(ctx, r, nil, nil)
}
