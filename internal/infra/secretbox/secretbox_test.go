package secretbox

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func newBox(t *testing.T, fill byte) *Box {
	t.Helper()
	b, err := New(bytes.Repeat([]byte{fill}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	box, other := newBox(t, 1), newBox(t, 2)
	ct, nonce, err := box.Seal([]byte("secret"), []byte("AKIAKEY1"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 1; return c }
	tests := []struct {
		name      string
		box       *Box
		ct, nonce []byte
		ad        string
		ok        bool
	}{
		{"round trip", box, ct, nonce, "AKIAKEY1", true},
		{"other key id", box, ct, nonce, "AKIAKEY2", false},
		{"tampered ciphertext", box, flip(ct, 0), nonce, "AKIAKEY1", false},
		{"tampered tag", box, flip(ct, len(ct)-1), nonce, "AKIAKEY1", false},
		{"tampered nonce", box, ct, flip(nonce, 3), "AKIAKEY1", false},
		{"short nonce", box, ct, nonce[:4], "AKIAKEY1", false},
		{"other master key", other, ct, nonce, "AKIAKEY1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.box.Open(tt.ct, tt.nonce, []byte(tt.ad))
			if tt.ok && (err != nil || string(got) != "secret") {
				t.Fatalf("Open = %q, %v", got, err)
			}
			if !tt.ok && !errors.Is(err, ErrOpen) {
				t.Fatalf("Open = %q, %v; want ErrOpen", got, err)
			}
		})
	}
	ct2, nonce2, _ := box.Seal([]byte("secret"), []byte("AKIAKEY1"))
	if bytes.Equal(nonce, nonce2) || bytes.Equal(ct, ct2) {
		t.Fatal("two seals share a nonce")
	}
	if _, err := New(make([]byte, 16)); err == nil {
		t.Fatal("New accepted a 16-byte key")
	}
}

func TestLoadKey(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, KeySize))
	tests := []struct {
		name  string
		env   string
		setup func(path string) // prepares the key file
		ok    bool
	}{
		{"env", good, nil, true},
		{"env not base64", "!!!", nil, false},
		{"env wrong length", base64.StdEncoding.EncodeToString([]byte("short")), nil, false},
		{"created", "", nil, true},
		{"existing 0600", "", writeKey(KeySize, 0o600), true},
		{"existing 0644", "", writeKey(KeySize, 0o644), false},
		{"existing 0640", "", writeKey(KeySize, 0o640), false},
		{"existing wrong length", "", writeKey(31, 0o600), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data", KeyFileName)
			if tt.setup != nil {
				_ = os.MkdirAll(filepath.Dir(path), 0o700)
				tt.setup(path)
			}
			key, err := LoadKey(tt.env, path)
			if (err == nil) != tt.ok || (tt.ok && len(key) != KeySize) {
				t.Fatalf("LoadKey = %d bytes, %v; want ok %v", len(key), err, tt.ok)
			}
		})
	}
	// A created key is 0600 and read back the same on the next start.
	path := filepath.Join(t.TempDir(), KeyFileName)
	first, err := LoadKey("", path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := mustStat(t, path).Mode().Perm(); perm != 0o600 {
		t.Fatalf("created key file has mode %04o", perm)
	}
	second, err := LoadKey("", path)
	if err != nil || !bytes.Equal(first, second) {
		t.Fatalf("second LoadKey = %x, %v; want %x", second, err, first)
	}
}

func mustStat(t *testing.T, path string) os.FileInfo {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// writeKey returns a setup that writes an n-byte key file with exactly mode (whatever the umask).
func writeKey(n int, mode os.FileMode) func(string) {
	return func(p string) {
		_ = os.WriteFile(p, make([]byte, n), mode)
		_ = os.Chmod(p, mode)
	}
}
