package pgserver

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

const pidFile = "postmaster.pid"

// previousServer reads the data directory's postmaster.pid. It returns the pid of the postmaster
// still serving dataDir, 0 when there is none, and stale = true when a pid file exists but its
// process is gone or is something else (a pid reused after a crash or a reboot).
func previousServer(dataDir string) (pid int, stale bool, err error) {
	f, err := os.Open(filepath.Join(dataDir, pidFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("pgserver: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, true, nil // empty: the postmaster died while writing it
	}
	pid, err = strconv.Atoi(strings.TrimSpace(sc.Text()))
	if err != nil || pid <= 0 {
		return 0, true, nil
	}
	// A postmaster changes into its data directory at startup, so its working directory tells
	// our postmaster apart from an unrelated process that got the same pid.
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	if err != nil || cwd != dataDir {
		return 0, true, nil
	}
	return pid, false, nil
}

// removeStale deletes a stale pid file and the socket lock files the dead postmaster left,
// which would otherwise make the next postmaster refuse to start if their pid is in use.
func removeStale(dataDir, sockDir string) error {
	var errs []error
	for _, p := range []string{
		filepath.Join(dataDir, pidFile),
		socketPath(sockDir) + ".lock",
		socketPath(sockDir),
	} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("pgserver: remove stale files: %w", err)
	}
	return nil
}

// Kill stops the postmaster serving dir at once (immediate shutdown, no clean checkpoint)
// without a Server, for throwaway clusters whose owner died, such as an interrupted test run's.
// It does nothing when no postmaster serves dir.
func Kill(dir string) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("pgserver: %w", err)
	}
	pid, _, err := previousServer(real)
	if err != nil || pid == 0 {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGQUIT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("pgserver: stop postmaster %d: %w", pid, err)
	}
	return nil
}
