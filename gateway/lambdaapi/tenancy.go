package lambdaapi

// Shapes of Lambdock's accounts and keys API (an extension, under /lambdock/v1/): JSON with
// Lambda-style field names. Times are RFC 3339 in UTC.

// Account is an account (tenant) as the API shows it.
type Account struct {
	AccountID   string `json:"AccountId"`
	Name        string `json:"Name"`
	Concurrency int    `json:"Concurrency"`
	Disabled    bool   `json:"Disabled"`
	Created     string `json:"Created"`
}

// CreateAccountInput is the body of POST /lambdock/v1/accounts. Concurrency defaults to the
// platform's account concurrency limit.
type CreateAccountInput struct {
	Name        string `json:"Name"`
	Concurrency *int   `json:"Concurrency,omitempty"`
}

// UpdateAccountInput is the body of PATCH /lambdock/v1/accounts/{id}: the fields to change.
type UpdateAccountInput struct {
	Disabled    *bool `json:"Disabled,omitempty"`
	Concurrency *int  `json:"Concurrency,omitempty"`
}

// ListAccountsOutput is the answer of GET /lambdock/v1/accounts.
type ListAccountsOutput struct {
	Accounts []Account `json:"Accounts"`
}

// AccessKey is an access key as the API shows it. SecretAccessKey is set only in the answer
// to its creation.
type AccessKey struct {
	AccessKeyID     string   `json:"AccessKeyId"`
	AccountID       string   `json:"AccountId"`
	Role            string   `json:"Role"`
	Functions       []string `json:"Functions,omitempty"`
	Disabled        bool     `json:"Disabled"`
	Created         string   `json:"Created"`
	SecretAccessKey string   `json:"SecretAccessKey,omitempty"`
}

// CreateKeyInput is the body of POST /lambdock/v1/keys. AccountId defaults to the caller's
// account, Role to invoke; Functions (names, or prefixes ending in *) only for invoke keys.
type CreateKeyInput struct {
	AccountID string   `json:"AccountId,omitempty"`
	Role      string   `json:"Role,omitempty"`
	Functions []string `json:"Functions,omitempty"`
}

// UpdateKeyInput is the body of PATCH /lambdock/v1/keys/{id}.
type UpdateKeyInput struct {
	Disabled *bool `json:"Disabled,omitempty"`
}

// ListKeysOutput is the answer of GET /lambdock/v1/keys.
type ListKeysOutput struct {
	Keys []AccessKey `json:"Keys"`
}
