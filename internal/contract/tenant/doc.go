// Package tenant is the contract of Lambdock's multi-tenancy: accounts (tenants), their access
// keys and roles, the caller an authenticated request acts for, and the Directory that stores
// accounts and keys. The gateway authenticates a request to a Caller and acts inside the
// caller's account; internal/store implements Directory (secrets encrypted at rest).
//
// What it is not: signature verification (gateway/sigv4), storage (internal/store), or the HTTP
// API for accounts and keys (gateway).
package tenant
