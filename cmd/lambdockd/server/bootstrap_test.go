package server_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/cmd/lambdockd/config"
	"github.com/lambdock/lambdock/cmd/lambdockd/server"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/infra/secretbox"
	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// startStop starts a server with cfg and stops it again, returning Start's error.
func startStop(t *testing.T, cfg config.Config) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := server.Start(ctx, cfg, zaptest.NewLogger(t))
	if err != nil {
		return err
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	return nil
}

// adminKeys opens the database with the data directory's master key and lists the admin
// account's keys with their secrets.
func adminKeys(t *testing.T, cfg config.Config) (*tenant.Account, []*tenant.Key) {
	t.Helper()
	ctx := context.Background()
	key, err := secretbox.LoadKey(cfg.MasterKey, filepath.Join(cfg.DataDir, secretbox.KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, zaptest.NewLogger(t), store.WithSecrets(box))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, err := st.GetAccount(ctx, tenant.AdminAccountID)
	if err != nil {
		t.Fatal(err)
	}
	listed, err := st.ListKeys(ctx, tenant.AdminAccountID)
	if err != nil {
		t.Fatal(err)
	}
	var keys []*tenant.Key
	for _, k := range listed {
		full, err := st.GetKey(ctx, k.ID)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, full)
	}
	return admin, keys
}

// The first start creates one admin key and the credentials file (0600); a second start keeps
// both as they are.
func TestBootstrapOnFirstStartOnly(t *testing.T) {
	cfg := controlPlane(t, testenv.NATS(t).ClientURL(), testenv.Postgres(t))
	if err := startStop(t, cfg); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(cfg.DataDir, server.CredentialsFileName)
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("credentials file: %v", err)
	}
	for _, f := range []string{path, filepath.Join(cfg.DataDir, secretbox.KeyFileName)} {
		info, err := os.Stat(f)
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, mode %v; want 0600", f, err, info.Mode().Perm())
		}
	}
	if err := startStop(t, cfg); err != nil {
		t.Fatalf("second start: %v", err)
	}
	admin, keys := adminKeys(t, cfg)
	if len(keys) != 1 || keys[0].Role != tenant.RoleAdmin {
		t.Fatalf("admin keys after two starts: %+v; want one admin key", keys)
	}
	if admin.Concurrency != cfg.AccountConcurrency {
		t.Fatalf("admin account concurrency %d, want the configured %d", admin.Concurrency, cfg.AccountConcurrency)
	}
	want := "[lambdock]\naws_access_key_id = " + keys[0].ID + "\naws_secret_access_key = " + keys[0].Secret + "\n"
	if second, err := os.ReadFile(path); err != nil || string(first) != want || !bytes.Equal(first, second) {
		t.Fatalf("credentials file %q then %q (%v); want %q both times", first, second, err, want)
	}
}

// Keys named by the environment: the first key when there is none, added when the installation
// has keys already, refused when the id exists with another secret.
func TestBootstrapWithEnvironmentKeys(t *testing.T) {
	cfg := controlPlane(t, testenv.NATS(t).ClientURL(), testenv.Postgres(t))
	cfg.MasterKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	cfg.AdminKeyID, cfg.AdminSecret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	if err := startStop(t, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, secretbox.KeyFileName)); !os.IsNotExist(err) {
		t.Fatalf("a master key file was written although %s is set: %v", config.EnvMasterKey, err)
	}
	_, keys := adminKeys(t, cfg)
	if len(keys) != 1 || keys[0].ID != cfg.AdminKeyID || keys[0].Secret != cfg.AdminSecret {
		t.Fatalf("keys after the first start: %+v", keys)
	}
	cfg.AdminKeyID = "AKIAIOSFODNN7EXAMPL2"
	if err := startStop(t, cfg); err != nil {
		t.Fatal(err)
	}
	if _, keys := adminKeys(t, cfg); len(keys) != 2 {
		t.Fatalf("after a start with another environment key: %d keys, want 2", len(keys))
	}
	cfg.AdminSecret = "xJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	err := startStop(t, cfg)
	if err == nil || !strings.Contains(err.Error(), "another secret") || strings.Contains(err.Error(), cfg.AdminSecret) {
		t.Fatalf("start with a changed secret: %v; want a refusal that does not show the secret", err)
	}
}

// A master key file readable by others stops the start.
func TestBootstrapRefusesAnOpenMasterKey(t *testing.T) {
	cfg := controlPlane(t, testenv.NATS(t).ClientURL(), testenv.Postgres(t))
	path := filepath.Join(cfg.DataDir, secretbox.KeyFileName)
	if err := os.WriteFile(path, make([]byte, secretbox.KeySize), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := startStop(t, cfg); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("start with a 0644 master key: %v", err)
	}
}

// When the credentials file cannot be written the start fails and leaves no key nobody knows;
// the next start sets one up.
func TestBootstrapRetriesWhenTheCredentialsFileFails(t *testing.T) {
	cfg := controlPlane(t, testenv.NATS(t).ClientURL(), testenv.Postgres(t))
	path := filepath.Join(cfg.DataDir, server.CredentialsFileName)
	if err := os.MkdirAll(filepath.Join(path, "in-the-way"), 0o700); err != nil { // a directory: rename fails
		t.Fatal(err)
	}
	if err := startStop(t, cfg); err == nil || !strings.Contains(err.Error(), "write credentials") {
		t.Fatalf("start with the credentials path taken: %v", err)
	}
	if _, keys := adminKeys(t, cfg); len(keys) != 0 {
		t.Fatalf("%d admin keys left after the failed setup, want 0", len(keys))
	}
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
	if err := startStop(t, cfg); err != nil {
		t.Fatal(err)
	}
	if _, keys := adminKeys(t, cfg); len(keys) != 1 {
		t.Fatalf("%d admin keys after the retry, want 1", len(keys))
	}
}
