// Package testtree writes trees of files for tests: function projects, layer contents, build
// contexts.
package testtree

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Write writes files (slash-separated path relative to dir → content) under dir, making the
// directories on the way; a path ending in "*" is made executable (without the star), the
// others are 0644. It fails the test on an error.
func Write(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, "*") {
			name, mode = strings.TrimSuffix(name, "*"), 0o755
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
}
