package testenv

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lambdock/lambdock/internal/infra/pgserver"
)

const (
	// dirPrefix names testenv's directories under os.TempDir().
	dirPrefix = "lambdock-testenv-"
	// ownerFile holds the pid of the test binary that owns a directory.
	ownerFile = "owner"
	// clusterSubdir is the PostgreSQL data directory inside it.
	clusterSubdir = "pg"
	// unownedGrace is how long a directory without an owner file may be still being set up.
	unownedGrace = time.Hour
)

// newDir makes a directory for a throwaway cluster, marked with this process as its owner. It is
// mode 0711 because the server runs as another user when the tests run as root.
func newDir() (string, error) {
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		return "", err
	}
	pid := []byte(strconv.Itoa(os.Getpid()))
	if err := os.WriteFile(filepath.Join(dir, ownerFile), pid, 0o644); err != nil {
		return "", err
	}
	return dir, nil
}

// reapOrphans stops and removes the clusters of test binaries that died without cleaning up.
func reapOrphans() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		if !orphaned(dir) {
			continue
		}
		if err := pgserver.Kill(filepath.Join(dir, clusterSubdir)); err == nil {
			_ = os.RemoveAll(dir)
		}
	}
}

// orphaned reports whether dir's owner process is gone.
func orphaned(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		fi, statErr := os.Stat(dir)
		return statErr == nil && time.Since(fi.ModTime()) > unownedGrace
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return true
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
