package invoker

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestFillTaskDir(t *testing.T) {
	src := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(src, "bootstrap"), []byte("#!/bin/sh\n"), 0o755))
	must(os.Chmod(filepath.Join(src, "bootstrap"), 0o755))
	must(os.Mkdir(filepath.Join(src, "lib"), 0o755))
	must(os.WriteFile(filepath.Join(src, "lib", "data.txt"), []byte("data"), 0o644))
	must(os.Chmod(filepath.Join(src, "lib", "data.txt"), 0o644))
	must(os.Symlink("lib/data.txt", filepath.Join(src, "link")))

	dst := t.TempDir()
	must(fillTaskDir(src, dst))

	for _, tc := range []struct {
		name string
		mode fs.FileMode
	}{
		{"bootstrap", 0o755},
		{"lib", fs.ModeDir | 0o755},
		{"lib/data.txt", 0o644},
		{"link", fs.ModeSymlink},
	} {
		fi, err := os.Lstat(filepath.Join(dst, tc.name))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := fi.Mode(); got.Type() != tc.mode.Type() || (tc.mode.Type() != fs.ModeSymlink && got.Perm() != tc.mode.Perm()) {
			t.Errorf("%s: mode %v, want %v", tc.name, got, tc.mode)
		}
		sfi, _ := os.Lstat(filepath.Join(src, tc.name))
		st, sst := fi.Sys().(*syscall.Stat_t), sfi.Sys().(*syscall.Stat_t)
		if st.Uid != sst.Uid || st.Gid != sst.Gid {
			t.Errorf("%s: owner %d:%d, want the cache's %d:%d", tc.name, st.Uid, st.Gid, sst.Uid, sst.Gid)
		}
		if fi.Mode().IsRegular() && st.Ino != sst.Ino {
			t.Errorf("%s: a copy, want a hard link (same filesystem)", tc.name)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dst, "link")); err != nil || string(b) != "data" {
		t.Errorf("through the symlink: %q, %v", b, err)
	}

	// The copy fallback keeps content and mode.
	cp := filepath.Join(t.TempDir(), "copy")
	must(copyFile(filepath.Join(src, "bootstrap"), cp, 0o755))
	if fi, err := os.Stat(cp); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("copy: %v, %v; want mode 0755", fi, err)
	}
	if b, _ := os.ReadFile(cp); string(b) != "#!/bin/sh\n" {
		t.Errorf("copy holds %q", b)
	}
	if err := fillTaskDir(src, dst); err == nil {
		t.Error("filling a non-empty task directory succeeded")
	}
}
