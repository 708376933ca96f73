package invoker

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

// The memory monitor guards the physical memory that overcommit (Config.Overcommit) gambles
// with: every monitorInterval it reads the host's available memory and memory pressure, and
// when they are in danger it evicts idle environments, least valuable first (byValue), until
// the memory they are estimated to hold (their latest measured peak) covers the shortfall. Busy
// environments are never touched: the kernel's OOM killer, limited to the container by its
// memory limit, remains the last resort.
const (
	monitorInterval = 2 * time.Second
	// pressureThreshold is the PSI "some avg10" (percent of time some task stalled on memory
	// in the last 10 s) from which the host counts as short even with MemAvailable above the
	// reserve.
	pressureThreshold = 10.0
	// reserveShareMax and reserveShareMin bound the reserve: the memory MemAvailable must not
	// fall below is what CapacityMB leaves of the host, within [5%, 20%] of it.
	reserveShareMax = 0.20
	reserveShareMin = 0.05
	// pressureStepShare of CapacityMB is freed per round under pressure alone.
	pressureStepShare = 0.05
)

// HostMemory reads the host's memory state. ProcMemory is the real one; tests drive the
// monitor with their own.
type HostMemory interface {
	ReadMemory() (MemoryReading, error)
}

// MemoryReading is the host's memory state at one moment.
type MemoryReading struct {
	// AvailableMB is MemAvailable: memory available for new allocations without swapping.
	AvailableMB int
	// PressureSome10 is the PSI memory "some avg10" in percent; meaningful when HasPressure.
	PressureSome10 float64
	HasPressure    bool
}

// ProcMemory reads /proc/meminfo and, where the kernel has PSI, /proc/pressure/memory under
// Root ("/proc").
type ProcMemory struct{ Root string }

// ReadMemory reads MemAvailable and the memory pressure.
func (m ProcMemory) ReadMemory() (MemoryReading, error) {
	var r MemoryReading
	b, err := os.ReadFile(filepath.Join(m.Root, "meminfo"))
	if err != nil {
		return r, fmt.Errorf("read meminfo: %w", err)
	}
	if r.AvailableMB, err = memAvailableMB(b); err != nil {
		return r, err
	}
	if b, err := os.ReadFile(filepath.Join(m.Root, "pressure", "memory")); err == nil {
		r.PressureSome10, r.HasPressure = pressureSome10(b)
	}
	return r, nil
}

// memAvailableMB parses MemAvailable (in kB) out of /proc/meminfo.
func memAvailableMB(meminfo []byte) (int, error) {
	sc := bufio.NewScanner(bytes.NewReader(meminfo))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("meminfo: MemAvailable %q: %w", f[1], err)
			}
			return int(kb >> 10), nil
		}
	}
	return 0, fmt.Errorf("meminfo: no MemAvailable line")
}

// pressureSome10 parses "some avg10=…" out of /proc/pressure/memory.
func pressureSome10(psi []byte) (float64, bool) {
	for line := range strings.Lines(string(psi)) {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "some" {
			continue
		}
		for _, kv := range f[1:] {
			if v, ok := strings.CutPrefix(kv, "avg10="); ok {
				x, err := strconv.ParseFloat(v, 64)
				return x, err == nil
			}
		}
	}
	return 0, false
}

// reserveMB is the memory the monitor keeps available on a host of hostMB whose containers may
// hold capacityMB: what the capacity leaves for the rest of the host, within [5%, 20%] of it.
func reserveMB(hostMB, capacityMB int) int {
	return min(max(hostMB-capacityMB, int(float64(hostMB)*reserveShareMin)), int(float64(hostMB)*reserveShareMax))
}

// shortfallMB is how much memory to free now: what MemAvailable lacks to the reserve, and
// under memory pressure (PSI) at least stepMB.
func shortfallMB(r MemoryReading, reserve, stepMB int) int {
	short := max(reserve-r.AvailableMB, 0)
	if r.HasPressure && r.PressureSome10 >= pressureThreshold {
		short = max(short, stepMB)
	}
	return short
}

// monitor runs checkMemory every monitorInterval until ctx ends. If the host's memory cannot be
// read at all, it says so once and stops: without readings there is nothing to act on.
func (inv *Invoker) monitor(ctx context.Context) {
	defer close(inv.monitorDone)
	tick := time.NewTicker(monitorInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if err := inv.checkMemory(ctx, now); err != nil {
				inv.memoryShort.Store(false) // no readings: pre-warming is not held off for good
				inv.log.Warn("memory monitor stopped: cannot read the host's memory", zap.Error(err))
				return
			}
		}
	}
}

// checkMemory reads the host's memory and, if it is short, removes idle environments until
// their estimated memory covers the shortfall.
func (inv *Invoker) checkMemory(ctx context.Context, now time.Time) error {
	r, err := inv.cfg.HostMemory.ReadMemory()
	if err != nil {
		return err
	}
	need := shortfallMB(r, inv.reserveMB, max(int(float64(inv.cfg.CapacityMB)*pressureStepShare), 1))
	inv.memoryShort.Store(need > 0) // pre-warming holds off meanwhile (replenish)
	if need <= 0 {
		return nil
	}
	victims, estimated := inv.pool.pressureVictims(need, now)
	if len(victims) == 0 {
		inv.log.Debug("host memory short, but no environment is idle", zap.Int("available_mb", r.AvailableMB),
			zap.Int("reserve_mb", inv.reserveMB), zap.Float64("psi_some_avg10", r.PressureSome10))
		return nil
	}
	inv.log.Warn("host memory short: evicting idle environments", zap.Int("available_mb", r.AvailableMB),
		zap.Int("reserve_mb", inv.reserveMB), zap.Float64("psi_some_avg10", r.PressureSome10),
		zap.Int("shortfall_mb", need), zap.Int("evicted", len(victims)), zap.Int("estimated_freed_mb", estimated))
	inv.metrics.evicted(evictMemory, len(victims))
	var g errgroup.Group
	g.SetLimit(removeParallel)
	for _, e := range victims {
		g.Go(func() error {
			inv.discard(ctx, e, "host memory short")
			return nil // discard logs a failure and leaves the environment to the reaper
		})
	}
	_ = g.Wait() // always nil, see above
	return nil
}
