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

// fillTaskDir copies the extracted code tree src into dst, an existing empty directory (a stem
// cell's task directory, already mounted read-only at /var/task in its container). Regular files
// are hard links to the code cache's (same inode: same owner and mode, nothing copied), or
// copies with the same mode where linking fails (another filesystem); directories get src's
// mode; symlinks are recreated as they are (the cache checked that they stay inside the tree).
func fillTaskDir(src, dst string) error {
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch mode := info.Mode(); {
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
	})
	if err != nil {
		return fmt.Errorf("invoker: fill task directory from %s: %w", src, err)
	}
	return nil
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
