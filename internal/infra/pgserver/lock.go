package pgserver

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockCluster takes an exclusive lock on <dir>.lock for the life of a Server, so two processes
// never drive the same cluster. The kernel drops the lock when its process dies, which is what
// makes it safe for the next Start to stop a server a dead process left running.
func lockCluster(dir string) (*os.File, error) {
	path := dir + ".lock"
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pgserver: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("pgserver: the cluster in %s is in use by another process (it holds %s)", dir, path)
		}
		return nil, fmt.Errorf("pgserver: lock %s: %w", path, err)
	}
	return f, nil
}
