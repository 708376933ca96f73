package server

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/lambdock/lambdock/cmd/lambdockd/config"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/infra/secretbox"
)

// CredentialsFileName is the file in the data directory where the first start writes the admin
// key, in the AWS shared-credentials format.
const CredentialsFileName = "credentials"

// CredentialsProfile is the profile of the credentials file.
const CredentialsProfile = "lambdock"

// masterKey loads the master key (config.EnvMasterKey, else DataDir/master.key, created on
// first start) that encrypts access keys' secrets.
func (s *Server) masterKey() (*secretbox.Box, error) {
	path := filepath.Join(s.cfg.DataDir, secretbox.KeyFileName)
	key, err := secretbox.LoadKey(s.cfg.MasterKey, path)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	box, err := secretbox.New(key)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if s.cfg.MasterKey == "" {
		s.log.Info("master key ready", zap.String("file", path))
	}
	return box, nil
}

// bootstrap gives the admin account (created by the store's migrations) its first admin key
// when it has none: the key of config.EnvAccessKeyID/EnvSecretAccessKey when set, else a new
// one, written to DataDir/credentials. On later starts it only makes sure the environment's key,
// if any, exists. It runs with the gateway role, which owns the keys.
func (s *Server) bootstrap(ctx context.Context) error {
	if !s.cfg.Has(config.RoleGateway) {
		return nil
	}
	k := &tenant.Key{ID: s.cfg.AdminKeyID, AccountID: tenant.AdminAccountID, Role: tenant.RoleAdmin,
		Secret: s.cfg.AdminSecret}
	fromEnv := k.ID != ""
	if !fromEnv {
		k.ID, k.Secret = tenant.NewKeyID(), tenant.NewSecret()
	}
	created, err := s.store.CreateFirstKey(ctx, k)
	if err != nil {
		return fmt.Errorf("server: bootstrap: %w", err)
	}
	if created {
		if err := s.firstStart(ctx, k); err != nil {
			// Without its credentials file nobody knows the new key: remove it, so that the next
			// start sets up a new one.
			if derr := s.store.DeleteKey(context.WithoutCancel(ctx), k.ID); derr != nil {
				s.log.Error("remove the admin key whose setup failed", zap.String("access_key_id", k.ID), zap.Error(derr))
			}
			return err
		}
		return nil
	}
	if fromEnv {
		return s.ensureEnvKey(ctx, k)
	}
	return nil
}

// firstStart finishes setting up the admin account after its first key was created: its
// concurrency limit from the configuration, and the credentials file.
func (s *Server) firstStart(ctx context.Context, k *tenant.Key) error {
	admin, err := s.store.GetAccount(ctx, tenant.AdminAccountID)
	if err != nil {
		return fmt.Errorf("server: bootstrap: %w", err)
	}
	if admin.Concurrency != s.cfg.AccountConcurrency {
		admin.Concurrency = s.cfg.AccountConcurrency
		if err := s.store.UpdateAccount(ctx, admin); err != nil {
			return fmt.Errorf("server: bootstrap: %w", err)
		}
	}
	path := filepath.Join(s.cfg.DataDir, CredentialsFileName)
	if err := writeCredentials(path, k); err != nil {
		return fmt.Errorf("server: bootstrap: %w", err)
	}
	s.log.Info("created the admin account's first admin key; its credentials are in the credentials file",
		zap.String("access_key_id", k.ID), zap.String("file", path), zap.String("profile", CredentialsProfile))
	return nil
}

// ensureEnvKey makes sure the environment's admin key exists, for automation that sets it on an
// installation that has keys already. A key of that id with another secret, account or role is
// a configuration error.
func (s *Server) ensureEnvKey(ctx context.Context, want *tenant.Key) error {
	got, err := s.store.GetKey(ctx, want.ID)
	if errors.Is(err, tenant.ErrNotFound) {
		if err := s.store.CreateKey(ctx, want); err != nil && !errors.Is(err, tenant.ErrExists) {
			return fmt.Errorf("server: bootstrap: %w", err)
		}
		s.log.Info("created the admin key named by the environment", zap.String("access_key_id", want.ID))
		return nil
	}
	if err != nil {
		return fmt.Errorf("server: bootstrap: %w", err)
	}
	if got.Secret != want.Secret || got.AccountID != want.AccountID || got.Role != want.Role {
		return fmt.Errorf("server: %s %s exists with another secret, account or role than %s says; "+
			"a key's secret never changes: name a new key id", config.EnvAccessKeyID, want.ID, config.EnvSecretAccessKey)
	}
	return nil
}
