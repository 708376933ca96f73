package dockerimage

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/testsupport/testtree"
)

// tarFiles lists the regular files of a context's tar (read through Open) with their modes.
func tarFiles(t *testing.T, bc *Context) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	rc := bc.Open()
	defer rc.Close()
	tr := tar.NewReader(rc)
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
			got := tarFiles(t, bc)
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

// TestBuildContextStream reads the streamed tar: contents, a symlink, directories; a file that
// disappears after BuildContext is the reader's error, and closing the reader early stops the
// writer.
func TestBuildContextStream(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB: more than a pipe buffers
	testtree.Write(t, dir, map[string]string{"Dockerfile": "FROM scratch\n", "big": big, "sub/f": "f"})
	if err := os.Symlink("sub/f", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	bc, err := BuildContext(dir)
	if err != nil {
		t.Fatal(err)
	}
	rc := bc.Open()
	tr := tar.NewReader(rc)
	got := map[string]string{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = string(b) + h.Linkname
	}
	_ = rc.Close()
	want := map[string]string{"Dockerfile": "FROM scratch\n", "big": big, "link": "sub/f", "sub/": "", "sub/f": "f"}
	if len(got) != len(want) {
		t.Errorf("tar has %d entries, want %d", len(got), len(want))
	}
	for name, content := range want {
		if got[name] != content {
			t.Errorf("%s: %d bytes %.20q, want %d bytes %.20q", name, len(got[name]), got[name], len(content), content)
		}
	}

	// Closing early: the writer stops (Open's goroutine ends) and reading reports the close.
	rc = bc.Open()
	if _, err := io.ReadFull(rc, make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	_ = rc.Close()
	if _, err := rc.Read(make([]byte, 1)); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("read after close: %v, want io.ErrClosedPipe", err)
	}

	if err := os.Remove(filepath.Join(dir, "big")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(bc.Open()); err == nil || !strings.Contains(err.Error(), "big") {
		t.Errorf("reading a context whose file is gone: %v, want an error naming it", err)
	}
}
