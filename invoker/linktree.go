package invoker

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// walkTree calls fn for every entry below the tree src (not src itself), top-down, with its
// path, its path relative to src and its mode. It never follows a symlink.
func walkTree(src string, fn func(path, rel string, mode fs.FileMode) error) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return fn(path, rel, info.Mode())
	})
}

// linkEntry recreates the entry path of a code tree (rel is its relative path, for errors) at
// target, which must not exist: a regular file becomes a hard link to path (same inode: same
// owner and mode, nothing copied), or a copy with the same mode where linking fails (another
// filesystem); a directory is made with path's mode; a symlink is recreated as it is (the code
// cache checked that its links stay inside the tree). Other file types are an error.
func linkEntry(path, target, rel string, mode fs.FileMode) error {
	switch {
	case mode.IsDir():
		if err := os.Mkdir(target, mode.Perm()); err != nil {
			return err
		}
		return os.Chmod(target, mode.Perm()) // Mkdir is subject to the umask
	case mode.IsRegular():
		if err := os.Link(path, target); err == nil {
			return nil
		}
		return copyFile(path, target, mode.Perm())
	case mode&fs.ModeSymlink != 0:
		link, err := os.Readlink(path)
		if err != nil {
			return err
		}
		return os.Symlink(link, target)
	default:
		return fmt.Errorf("%s: unexpected file type %v", rel, mode.Type())
	}
}

// copyFile copies the regular file src to the new file dst with mode perm.
func copyFile(src, dst string, perm fs.FileMode) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, perm)
	if err != nil {
		return err
	}
	_, copyErr := io.Copy(out, in)
	return errors.Join(copyErr, out.Chmod(perm), out.Close())
}
