// Package cgroup is part of the in-container agent (runtime-api/): it reads the container's peak
// memory for the REPORT line and the invoker's meter.
//
// The agent runs inside the function's container, whose own memory cgroup is mounted at
// /sys/fs/cgroup: on cgroup v2 the peak is memory.peak, on cgroup v1 it is
// memory/memory.max_usage_in_bytes. Both count every process in the container (runtime,
// extensions, the agent itself) over the container's lifetime, which is what Lambda reports as
// "Max Memory Used". Nothing is cached: the files are read once per invocation, after it ended.
package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// DefaultRoot is where the container's cgroup filesystem is mounted.
const DefaultRoot = "/sys/fs/cgroup"

// Peak-usage files relative to the root, tried in this order.
const (
	peakV2 = "memory.peak"
	peakV1 = "memory/memory.max_usage_in_bytes"
)

// ErrUnavailable is returned when no peak-memory file exists under the root.
var ErrUnavailable = errors.New("cgroup: no memory peak file")

// PeakMemory returns the peak memory usage in bytes of the cgroup mounted at root.
func PeakMemory(root string) (int64, error) {
	for _, name := range [...]string{peakV2, peakV1} {
		b, err := readSmall(filepath.Join(root, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("cgroup: read %s: %w", name, err)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("cgroup: parse %s: %w", name, err)
		}
		return n, nil
	}
	return 0, ErrUnavailable
}

// readSmall reads a file of a few bytes (a cgroup counter) with one read(2): open, read, close,
// where os.ReadFile also stats the file and reads again to see its end. It runs after every
// invocation, inside the function's CPU quota.
func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf [64]byte
	n, err := f.Read(buf[:])
	if err != nil {
		return nil, err
	}
	if n == len(buf) {
		return nil, fmt.Errorf("more than %d bytes", len(buf))
	}
	return buf[:n], nil
}
