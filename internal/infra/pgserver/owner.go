package pgserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// owner is the system user the server runs as when the caller is root; nil means "as the caller".
type owner struct {
	name     string
	uid, gid uint32
}

// serverOwner picks the user initdb and postgres run as: nil unless the caller is root, then
// "postgres" if it exists, else "nobody".
func serverOwner() (*owner, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	var errs []error
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("pgserver: user %s: %w", name, err)
		}
		return &owner{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
	}
	return nil, fmt.Errorf("pgserver: running as root, but neither a postgres nor a nobody user "+
		"exists to run PostgreSQL as: %w", errors.Join(errs...))
}

// procAttr makes a command run as o (with no supplementary groups).
func (o *owner) procAttr() *syscall.SysProcAttr {
	if o == nil {
		return nil
	}
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: o.uid, Gid: o.gid}}
}

// chown gives path and everything below it to o. It does nothing when o is nil.
func (o *owner) chown(path string) error {
	if o == nil {
		return nil
	}
	err := filepath.WalkDir(path, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(o.uid), int(o.gid))
	})
	if err != nil {
		return fmt.Errorf("pgserver: give %s to user %s: %w", path, o.name, err)
	}
	return nil
}

// owns reports whether the file belongs to o (to the caller when o is nil).
func (o *owner) owns(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	if o == nil {
		return st.Uid == uint32(os.Geteuid())
	}
	return st.Uid == o.uid
}

// checkReachable makes sure o can walk down to dir: every ancestor must grant it search (x)
// permission, or initdb and postgres fail with an obscure "permission denied".
func (o *owner) checkReachable(dir string) error {
	if o == nil {
		return nil
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgserver: %w", err)
		}
		if !o.canSearch(fi) {
			return fmt.Errorf("pgserver: PostgreSQL runs as user %s because lambdockd runs as root, "+
				"but %s (mode %v) does not let that user reach %s: choose a data directory "+
				"outside it (e.g. under /var/lib) or allow traversal with chmod o+x %s",
				o.name, p, fi.Mode().Perm(), dir, p)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

func (o *owner) canSearch(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == o.uid:
		return perm&0o100 != 0
	case st.Gid == o.gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}
