package sandbox

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
)

// CreateChannel makes the channel directory of one container, root/<envID>, owned by uid:gid
// with mode 0700, and writes cfg into it as agentproto.ConfigName (readable by that user only).
// The invoker must be able to chown (run as root or with CAP_CHOWN).
func CreateChannel(root, envID string, uid, gid int, cfg agentproto.Config) (string, error) {
	dir := filepath.Join(root, envID)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("sandbox: create channel root: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", fmt.Errorf("sandbox: create channel dir: %w", err)
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("sandbox: encode agent config: %w", err)
	}
	file := filepath.Join(dir, agentproto.ConfigName)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		return "", fmt.Errorf("sandbox: write agent config: %w", err)
	}
	for _, p := range []string{file, dir} {
		if err := os.Chown(p, uid, gid); err != nil {
			return "", fmt.Errorf("sandbox: chown channel to %d:%d (the invoker needs root or CAP_CHOWN): %w", uid, gid, err)
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil { // Mkdir is subject to the umask
		return "", fmt.Errorf("sandbox: chmod channel dir: %w", err)
	}
	return dir, nil
}

// RemoveChannels removes every channel directory under root (at start, when no container of this
// invoker is left).
func RemoveChannels(root string) error {
	entries, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sandbox: list channel dirs: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
			return fmt.Errorf("sandbox: remove stale channel dir: %w", err)
		}
	}
	return nil
}
