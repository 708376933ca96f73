package rules

import "time"

// BilledMs is the billed duration of one invocation in milliseconds: the invoke phase plus the
// init phase it ran (zero on a warm invocation), rounded up to 1 ms, at least 1 ms. Init is
// billed for every on-demand function since 2025-08-01, and always was for custom runtimes and
// images (lambda-api.md §6, §7: "Billed Duration = ceil(Init Duration + Duration)").
func BilledMs(duration, init time.Duration) int64 {
	d := duration + init
	if d <= 0 {
		return 1
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// GBSeconds is the compute one invocation used: MemorySize MB / 1024 × billed ms / 1000
// (lambda-api.md §6).
func GBSeconds(memoryMB int, billedMs int64) float64 {
	return float64(memoryMB) / 1024 * float64(billedMs) / 1000
}

// MaxMemoryUsedMB is a peak memory in bytes as the REPORT line's "Max Memory Used" shows it: in
// MB (2^20 bytes), rounded up, so a peak of 1 byte used 1 MB; an unknown (negative) or zero peak
// is 0 MB (lambda-api.md §7).
func MaxMemoryUsedMB(bytes int64) int64 {
	if bytes <= 0 {
		return 0
	}
	return (bytes + 1<<20 - 1) >> 20
}
