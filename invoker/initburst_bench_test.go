package invoker_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/runtimes"
	"github.com/lambdock/lambdock/invoker"
)

// echoFunctions are echo handlers of the language runtimes: runtime, handler, file, source.
var echoFunctions = []struct{ runtime, handler, file, source string }{
	{"python3.13", "lambda_function.lambda_handler", "lambda_function.py",
		"def lambda_handler(event, context):\n    return event\n"},
	{"nodejs20.x", "index.handler", "index.mjs", "export const handler = async (event) => event;\n"},
}

// zipOf is a zip holding one file.
func zipOf(tb testing.TB, name, content string) (data []byte, sha string) {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err == nil {
		_, err = w.Write([]byte(content))
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), hex.EncodeToString(sum[:])
}

// BenchmarkInitBurst measures the first invoke of a new 128 MB echo function of each language
// runtime, each iteration a function of its own, with the init burst (Config.InitCPUs default:
// min(2, host CPUs)) and without it (the function's own 0.07 vCPU from the start), both in a new
// container (cold, pre-warming off) and in a pre-warmed container specialised for it (stem; each
// iteration first waits, untimed, for the stem taken before to be replaced). The invokers take
// turns within each iteration, so that the load of the host weighs on all alike. It reports the
// medians of the first invoke's latency and of its Init Duration (the REPORT line's).
//
//	go test ./invoker -run '^$' -bench InitBurst -benchtime 10x
func BenchmarkInitBurst(b *testing.B) {
	for _, ef := range echoFunctions {
		b.Run(ef.runtime, func(b *testing.B) {
			rt, _ := runtimes.Lookup(ef.runtime)
			data, sha := zipOf(b, ef.file, ef.source)
			type variant struct {
				name      string
				h         *harness
				stem      bool
				lat, init []time.Duration
			}
			newVariant := func(name string, initCPUs float64, stem bool) *variant {
				return &variant{name: name, stem: stem, h: newHarness(b, func(c *invoker.Config) {
					c.CapacityMB = 1 << 17 // every iteration leaves a warm container
					c.CodeFetcher = fetcher{zips: map[string][]byte{sha: data}}
					c.InitCPUs = initCPUs
					if stem {
						c.Prewarm = 1
						c.PrewarmShapes = []invoker.Shape{{Image: rt.Image, MemoryMB: 128, EphemeralMB: 512}}
					}
				})}
			}
			variants := []*variant{newVariant("cold-burst", 0, false), newVariant("cold-noburst", -1, false),
				newVariant("stem-burst", 0, true), newVariant("stem-noburst", -1, true)}
			event := map[string]string{"hello": "world"}
			i := 0
			for b.Loop() {
				i++
				for _, v := range variants {
					for deadline := time.Now().Add(time.Minute); v.stem && v.h.Stats().Stems < 1; {
						if time.Now().After(deadline) {
							b.Fatalf("%s: no stem ready after a minute", v.name)
						}
						time.Sleep(5 * time.Millisecond)
					}
					fn := function.Spec{Name: "burst-" + v.name + "-" + strconv.Itoa(i), Runtime: ef.runtime,
						Handler: ef.handler, MemoryMB: 128, TimeoutSec: 30, CodeSHA256: sha}
					start := time.Now()
					res := v.h.mustSucceed(b, fn, event)
					v.lat = append(v.lat, time.Since(start))
					v.init = append(v.init, res.InitDuration)
					if !res.Cold || res.Prewarmed != v.stem || res.InitDuration <= 0 {
						b.Fatalf("%s iteration %d: cold %v, prewarmed %v, init %v", v.name, i, res.Cold, res.Prewarmed, res.InitDuration)
					}
				}
			}
			for _, v := range variants {
				b.ReportMetric(median(v.lat), v.name+"-first-ms")
				b.ReportMetric(median(v.init), v.name+"-init-ms")
			}
		})
	}
}

// median of ds in milliseconds.
func median(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2]) / float64(time.Millisecond)
}
