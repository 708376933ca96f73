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
		key, cerr := createKey(path)
		if !errors.Is(cerr, fs.ErrExist) {
			return key, cerr
		}
		info, err = os.Stat(path) // another process created it first: use its key
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

// createKey writes a new random key to path (mode 0600, never over an existing file; an error
// wrapping fs.ErrExist when path exists). The key is written and synced to a temporary file
// first and then linked to path, so that nobody, another process starting at the same time
// included, ever sees path without its whole key, nor does a crash leave it empty.
func createKey(path string) ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secretbox: new master key: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("secretbox: new master key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+KeyFileName+"-*") // mode 0600 whatever the umask
	if err != nil {
		return nil, fmt.Errorf("secretbox: new master key: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	_, err = tmp.Write(key)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("secretbox: write master key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("secretbox: new master key: %w", err)
	}
	if d, err := os.Open(dir); err == nil { // make the new name durable too
		_ = d.Sync()
		_ = d.Close()
	}
	return key, nil
}
