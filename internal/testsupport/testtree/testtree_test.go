package testtree

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	Write(t, dir, map[string]string{"a.txt": "a", "bin/run*": "#!/bin/sh\n", "lib/deep/b.txt": "b"})
	for _, tc := range []struct {
		path, content string
		perm          fs.FileMode
	}{
		{"a.txt", "a", 0o644},
		{"bin/run", "#!/bin/sh\n", 0o755},
		{"lib/deep/b.txt", "b", 0o644},
	} {
		p := filepath.Join(dir, tc.path)
		b, err := os.ReadFile(p)
		if err != nil || string(b) != tc.content {
			t.Errorf("%s: %q, %v; want %q", tc.path, b, err, tc.content)
			continue
		}
		// WriteFile's mode is subject to the umask: compare the bits the umask leaves.
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got&^0o022 != tc.perm&^0o022 || got&0o100 != tc.perm&0o100 {
			t.Errorf("%s: mode %v, want %v", tc.path, got, tc.perm)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "bin", "run*")); err == nil {
		t.Error("the star stayed in the name")
	}
}
