package gateway_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
	"github.com/lambdock/lambdock/internal/testsupport/tenanttest"
)

// probe sends one signed ListFunctions with key k to env through aws-sdk-go-v2 and returns its
// error (nil when the key was accepted).
func probe(env *gatewaytest.Env, k *tenant.Key) error {
	_, err := sdkAs(env, k.ID, k.Secret).ListFunctions(context.Background(), &lambda.ListFunctionsInput{})
	return err
}

// refused reports whether err is the 403 of an unrecognized key.
func refused(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "UnrecognizedClientException"
}

// TestRevocationReachesEveryGateway checks that a key revoked through the accounts and keys API
// of one gateway is refused there on the very next request, and on a second gateway (same NATS
// and Postgres) once the change event arrives, although both had the key cached.
func TestRevocationReachesEveryGateway(t *testing.T) {
	env, _ := authEnv(t)
	other := env.Another(t, gatewaytest.Auth(nil))
	ctx := context.Background()
	disabled := true

	tests := []struct {
		name   string
		revoke func(k *tenant.Key) error
	}{
		{"key disabled", func(k *tenant.Key) error {
			_, err := env.Client.SetKeyDisabled(ctx, k.ID, true)
			return err
		}},
		{"key deleted", func(k *tenant.Key) error { return env.Client.DeleteKey(ctx, k.ID) }},
		{"account disabled", func(k *tenant.Key) error {
			_, err := env.Client.UpdateAccount(ctx, k.AccountID, lambdaapi.UpdateAccountInput{Disabled: &disabled})
			return err
		}},
		{"account deleted (its keys first, as the API requires)", func(k *tenant.Key) error {
			if err := env.Client.DeleteKey(ctx, k.ID); err != nil {
				return err
			}
			return env.Client.DeleteAccount(ctx, k.AccountID)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := env.AddKey(t, tenant.NewAccountID(), tenant.RoleOwner)
			for _, gw := range []*gatewaytest.Env{env, other, env, other} { // cached on both
				if err := probe(gw, k); err != nil {
					t.Fatalf("before the revocation: %v", err)
				}
			}
			if err := tt.revoke(k); err != nil {
				t.Fatalf("revoke: %v", err)
			}
			if err := probe(env, k); !refused(err) {
				t.Fatalf("next request on the gateway that revoked: %v, want UnrecognizedClientException", err)
			}
			deadline := time.Now().Add(10 * time.Second) // far below the 30 s TTL: only the event can do it
			for err := probe(other, k); !refused(err); err = probe(other, k) {
				if time.Now().After(deadline) {
					t.Fatalf("the other gateway still answers %v after 10 s, want UnrecognizedClientException", err)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// countingDirectory counts the lookups authentication makes.
type countingDirectory struct {
	tenant.Directory
	lookups atomic.Int32
}

func (d *countingDirectory) GetKey(ctx context.Context, id string) (*tenant.Key, error) {
	d.lookups.Add(1)
	return d.Directory.GetKey(ctx, id)
}

func (d *countingDirectory) GetAccount(ctx context.Context, id string) (*tenant.Account, error) {
	d.lookups.Add(1)
	return d.Directory.GetAccount(ctx, id)
}

// TestCredentialsCache checks, request by request, how many Directory lookups authentication
// makes: two on a key's first request, none while it is cached, and two on every request with
// an unknown key (never cached, and as much work as a known key's first request).
func TestCredentialsCache(t *testing.T) {
	dir := &countingDirectory{Directory: tenanttest.New()}
	env := gatewaytest.New(t, gatewaytest.Auth(dir))
	known := env.AddKey(t, tenant.NewAccountID(), tenant.RoleOwner)
	unknown := &tenant.Key{ID: tenant.NewKeyID(), Secret: tenant.NewSecret()}

	steps := []struct {
		name        string
		key         *tenant.Key
		wantLookups int32
		wantRefused bool
	}{
		{"first request of a key", known, 2, false},
		{"warm request", known, 0, false},
		{"another warm request", known, 0, false},
		{"unknown key", unknown, 2, true},
		{"unknown key again", unknown, 2, true},
		{"admin key's first request", env.Admin, 2, false},
		{"admin key warm", env.Admin, 0, false},
	}
	for _, s := range steps {
		dir.lookups.Store(0)
		err := probe(env, s.key)
		if refused(err) != s.wantRefused || err != nil && !s.wantRefused {
			t.Fatalf("%s: %v, want refused %v", s.name, err, s.wantRefused)
		}
		if n := dir.lookups.Load(); n != s.wantLookups {
			t.Errorf("%s: %d Directory lookups, want %d", s.name, n, s.wantLookups)
		}
	}
}
