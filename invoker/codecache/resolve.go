package codecache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// maxLinkHops bounds symlink resolution, as the kernel's ELOOP does.
const maxLinkHops = 40

// checkInside resolves the path name inside the tree at root the way the kernel would if root
// were "/" of the container's /var/task, following every symlink, and refuses the zip if the
// resolution leaves the tree: an absolute target, or more ".." than there are levels. Components
// that do not exist are taken lexically (the kernel would stop there; being stricter is fine).
//
// Every path it inspects is built from components already resolved to real directories, so the
// check never follows a symlink on the host.
func checkInside(root, name string) error {
	var resolved []string
	pending := strings.Split(name, "/")
	for hops := 0; len(pending) > 0; {
		part := pending[0]
		pending = pending[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			if len(resolved) == 0 {
				return invalidZip("symlink %q points outside the package", name)
			}
			resolved = resolved[:len(resolved)-1]
			continue
		}
		p := filepath.Join(root, filepath.Join(resolved...), part)
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
			resolved = append(resolved, part) // dangling from here on: lexical
			continue
		case err != nil:
			return fmt.Errorf("codecache: stat %s: %w", p, err)
		case fi.Mode()&fs.ModeSymlink == 0:
			resolved = append(resolved, part)
			continue
		}
		hops++
		if hops > maxLinkHops {
			return invalidZip("symlink %q: too many levels of symbolic links", name)
		}
		target, err := os.Readlink(p)
		if err != nil {
			return fmt.Errorf("codecache: readlink %s: %w", p, err)
		}
		if path.IsAbs(target) {
			return invalidZip("symlink %q points outside the package", name)
		}
		pending = append(strings.Split(target, "/"), pending...)
	}
	return nil
}
