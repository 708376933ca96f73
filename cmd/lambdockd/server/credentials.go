package server

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/lambdock/lambdock/internal/contract/tenant"
)

// writeCredentials writes k to path in the AWS shared-credentials format, profile
// CredentialsProfile, mode 0600. It replaces the file atomically: a credentials file left from
// an earlier database would name a key that no longer exists. The region belongs in the AWS
// config file, not here.
func writeCredentials(path string, k *tenant.Key) error {
	body := fmt.Sprintf("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", CredentialsProfile, k.ID, k.Secret)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".credentials-*")
	if err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // a no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write credentials: %w", err)
	}
	if _, err := tmp.WriteString(body); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write credentials: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write credentials: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	return nil
}
