package dockerimage

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/testsupport/testtree"
)

// tarFiles lists the regular files of a tar with their modes.
func tarFiles(t *testing.T, b []byte) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			out[h.Name] = h.Mode
		}
	}
}

// TestBuildContextIgnore checks which files .dockerignore leaves out of the context.
func TestBuildContextIgnore(t *testing.T) {
	files := map[string]string{
		"Dockerfile": "FROM scratch\n", "bootstrap*": "bin", "README.md": "r", "notes.md": "n",
		"src/a.go": "a", "src/gen/b.go": "b", "build/out": "o", "build/keep.txt": "k", ".git/HEAD": "h",
	}
	tests := []struct {
		name   string
		ignore string
		want   []string
	}{
		{"no .dockerignore", "", []string{".git/HEAD", "Dockerfile", "README.md", "bootstrap", "build/keep.txt", "build/out", "notes.md", "src/a.go", "src/gen/b.go"}},
		{"globs and directories", "# comment\n*.md\n.git\nsrc/gen\n", []string{".dockerignore", "Dockerfile", "bootstrap", "build/keep.txt", "build/out", "src/a.go"}},
		{"exception after a directory", "build\n!build/keep.txt\n/.git/\n", []string{".dockerignore", "Dockerfile", "README.md", "bootstrap", "build/keep.txt", "notes.md", "src/a.go", "src/gen/b.go"}},
		{"the last match decides", "!README.md\n*.md\n", []string{".dockerignore", ".git/HEAD", "Dockerfile", "bootstrap", "build/keep.txt", "build/out", "src/a.go", "src/gen/b.go"}},
		{"Dockerfile and .dockerignore stay", "*\n!bootstrap\n", []string{".dockerignore", "Dockerfile", "bootstrap"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			testtree.Write(t, dir, files)
			if tt.ignore != "" {
				testtree.Write(t, dir, map[string]string{".dockerignore": tt.ignore})
			}
			bc, err := BuildContext(dir)
			if err != nil {
				t.Fatal(err)
			}
			got := tarFiles(t, bc.Tar)
			names := slices.Sorted(func(yield func(string) bool) {
				for n := range got {
					if !yield(n) {
						return
					}
				}
			})
			if !slices.Equal(names, tt.want) || bc.Files != len(tt.want) {
				t.Errorf("files = %q (Files %d), want %q", names, bc.Files, tt.want)
			}
			if m, ok := got["bootstrap"]; ok && m&0o111 == 0 {
				t.Errorf("bootstrap mode %o lost its executable bits", m)
			}
		})
	}
}

// TestBuildContextHash: the hash follows content, names and modes, not modification times.
func TestBuildContextHash(t *testing.T) {
	hash := func(files map[string]string, touch bool) string {
		dir := t.TempDir()
		testtree.Write(t, dir, files)
		if touch {
			old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
			if err := os.Chtimes(filepath.Join(dir, "Dockerfile"), old, old); err != nil {
				t.Fatal(err)
			}
		}
		bc, err := BuildContext(dir)
		if err != nil {
			t.Fatal(err)
		}
		return bc.Hash
	}
	base := map[string]string{"Dockerfile": "FROM scratch\n", "fn": "x"}
	h := hash(base, false)
	if hash(base, true) != h {
		t.Error("a modification time changed the hash")
	}
	for name, files := range map[string]map[string]string{
		"content": {"Dockerfile": "FROM scratch\n", "fn": "y"},
		"name":    {"Dockerfile": "FROM scratch\n", "fn2": "x"},
		"mode":    {"Dockerfile": "FROM scratch\n", "fn*": "x"},
	} {
		if hash(files, false) == h {
			t.Errorf("changing the %s kept the hash", name)
		}
	}
}

// TestReadIgnoreRefuses: patterns this package cannot honour are errors, not silently ignored.
func TestReadIgnoreRefuses(t *testing.T) {
	for _, ignore := range []string{"**/*.go\n", "[\n"} {
		dir := t.TempDir()
		testtree.Write(t, dir, map[string]string{".dockerignore": ignore, "Dockerfile": "FROM scratch\n"})
		if _, err := BuildContext(dir); err == nil {
			t.Errorf(".dockerignore %q: no error", ignore)
		}
	}
}
