package config

import "runtime/debug"

// DefaultGCPercent is lambdockd's garbage collection target (Go's GOGC) when the GOGC
// environment variable is not set: 200 rather than Go's 100. The heap may grow to three times
// its live size instead of twice (a few tens of MB more for lambdockd), and collections take
// about half as much CPU; the gateway allocates some tens of KB per request, so at thousands
// of requests per second that is some 10 % of the CPU back (docs/benchmarks.md, scenario 6).
const DefaultGCPercent = 200

// ApplyGCPercent sets DefaultGCPercent unless getenv("GOGC") is set, which the Go runtime has
// applied already. It changes process-wide state: only main functions call it.
func ApplyGCPercent(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGCPercent)
	}
}
