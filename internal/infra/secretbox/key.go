package secretbox

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// EnvMasterKey names the environment variable that holds the master key, base64 of KeySize bytes.
const EnvMasterKey = "LAMBDOCK_MASTER_KEY"

// KeyFileName is the master key file's name in the data directory.
const KeyFileName = "master.key"

// LoadKey returns the master key: decoded from env (the value of EnvMasterKey) when it is not
// empty, else read from path, which is created with a new random key and mode 0600 when it does
// not exist. A key file readable or writable by group or others, or of the wrong length, is
// refused: the caller should not start.
func LoadKey(env, path string) ([]byte, error) {
	if env = strings.TrimSpace(env); env != "" {
		key, err := base64.StdEncoding.DecodeString(env)
		if err != nil {
			return nil, fmt.Errorf("secretbox: %s is not base64: %w", EnvMasterKey, err)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("secretbox: %s holds %d bytes, want %d", EnvMasterKey, len(key), KeySize)
		}
		return key, nil
	}
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("secretbox: master key: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("secretbox: master key file %s has mode %04o: it must not be accessible by group "+
			"or others (chmod 600 %s)", path, perm, path)
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secretbox: master key: %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: master key file %s holds %d bytes, want %d", path, len(key), KeySize)
	}
	return key, nil
}

// createKey writes a new random key to path (mode 0600, never over an existing file).
func createKey(path string) ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secretbox: new master key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("secretbox: new master key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("secretbox: new master key: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, fmt.Errorf("secretbox: write master key: %w", err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("secretbox: write master key: %w", err)
	}
	return key, nil
}
