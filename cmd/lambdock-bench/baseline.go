package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"strings"
	"time"
)

// Metric name suffixes: they say which direction is better.
const (
	suffixLatency    = ".p50_ms"           // lower is better
	suffixThroughput = ".throughput_per_s" // higher is better
)

// defaultTolerance is the regression that fails `make bench`: 30 %.
const defaultTolerance = 0.30

// baselineFile is the committed baseline (docs/bench-baseline.json): per machine class, the
// metrics of one run measured on a quiet machine of that class.
type baselineFile struct {
	Comment string                   `json:"comment,omitempty"`
	Classes map[string]classBaseline `json:"classes"`
}

// classBaseline is one machine class's reference run.
type classBaseline struct {
	Date    string             `json:"date"`
	Commit  string             `json:"commit"`
	Note    string             `json:"note,omitempty"` // how it was measured, when not by -update-baseline
	Metrics map[string]float64 `json:"metrics"`
}

// machineClass names the machines whose numbers are comparable: OS, architecture, cores and
// memory rounded to the nearest GiB, e.g. "linux-amd64-2cpu-24g".
func machineClass(goos, goarch string, cores int, memBytes int64) string {
	gib := int(math.Round(float64(memBytes) / (1 << 30)))
	return fmt.Sprintf("%s-%s-%dcpu-%dg", goos, goarch, cores, gib)
}

// readBaseline reads path; a missing file is an empty baseline.
func readBaseline(path string) (baselineFile, error) {
	var f baselineFile
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return baselineFile{Classes: map[string]classBaseline{}}, nil
	}
	if err != nil {
		return f, fmt.Errorf("read baseline: %w", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("baseline %s: %w", path, err)
	}
	if f.Classes == nil {
		f.Classes = map[string]classBaseline{}
	}
	return f, nil
}

// writeBaseline sets class's entry of the baseline at path to metrics, keeping other classes.
func writeBaseline(path, class, commit string, date time.Time, metrics map[string]float64) error {
	f, err := readBaseline(path)
	if err != nil {
		return err
	}
	if f.Comment == "" {
		f.Comment = "Reference numbers of `make bench` per machine class; written by `go run ./cmd/lambdock-bench -update-baseline` on a quiet machine. Metrics ending in .p50_ms fail the check when more than 30 % higher, .throughput_per_s when more than 30 % lower."
	}
	f.Classes[class] = classBaseline{Date: date.Format("2006-01-02 15:04 MST"), Commit: commit, Metrics: metrics}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// regression is a metric worse than its baseline by more than the tolerance.
type regression struct {
	Metric   string
	Baseline float64
	Now      float64
}

// Ratio is now / baseline.
func (r regression) Ratio() float64 { return r.Now / r.Baseline }

func (r regression) String() string {
	return fmt.Sprintf("%s regressed: baseline %.2f, now %.2f, ratio %.2f", r.Metric, r.Baseline, r.Now, r.Ratio())
}

// compare checks now against base with tolerance (0.30: 30 %). A latency (suffixLatency)
// regresses when now > base × (1+tolerance), a throughput (suffixThroughput) when
// now < base × (1−tolerance). Metrics of the baseline that were not measured now are listed in
// missing (not a failure: a partial run); metrics with another suffix or a non-positive
// baseline are not compared. Results are in metric name order.
func compare(base, now map[string]float64, tolerance float64) (regs []regression, missing []string) {
	names := make([]string, 0, len(base))
	for name := range base {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		b := base[name]
		n, ok := now[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		if b <= 0 {
			continue
		}
		switch {
		case strings.HasSuffix(name, suffixLatency) && n > b*(1+tolerance),
			strings.HasSuffix(name, suffixThroughput) && n < b*(1-tolerance):
			regs = append(regs, regression{Metric: name, Baseline: b, Now: n})
		}
	}
	return regs, missing
}
