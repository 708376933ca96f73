package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/docker/docker/client"
)

// invokerCapacityShare is the share of the Docker host's memory the invoker's containers may
// hold by default (invoker.Config.CapacityMB = 0).
const invokerCapacityShare = 0.8

// host is what the suite knows of the machine: the load generator's cores and the Docker
// host's memory (what the invoker sizes its capacity from).
type host struct {
	cores    int
	memBytes int64
	load     float64 // 1-minute load average when the run started, -1 if unknown
}

// dockerHost reads the Docker host's memory.
func dockerHost(ctx context.Context, docker *client.Client) (host, error) {
	info, err := docker.Info(ctx)
	if err != nil {
		return host{}, fmt.Errorf("docker info: %w", err)
	}
	return host{cores: runtime.NumCPU(), memBytes: info.MemTotal, load: loadAverage()}, nil
}

// class is the machine class of the baseline.
func (h host) class() string {
	return machineClass(runtime.GOOS, runtime.GOARCH, h.cores, h.memBytes)
}

// defaultCapacityMB is the invoker's capacity when lambdockd does not set one, computed as the
// invoker does.
func (h host) defaultCapacityMB() int {
	return int(float64(h.memBytes>>20) * invokerCapacityShare)
}

// manyCapacityMB is the capacity scenario 4 runs with: the default, unless totalMB fits in it
// (a big host), then three quarters of totalMB so that the functions still do not all fit.
// lowered reports the latter.
func (h host) manyCapacityMB(totalMB int) (capacityMB int, lowered bool) {
	if c := h.defaultCapacityMB(); c < totalMB {
		return c, false
	}
	return totalMB * 3 / 4, true
}

// loadAverage is the host's 1-minute load average, or -1 where /proc/loadavg is unavailable.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}
