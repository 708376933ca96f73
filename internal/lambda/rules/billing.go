package rules

import "time"

// Architectures, as a function's Architectures and the price book name them.
const (
	ArchX86   = "x86_64"
	ArchArm64 = "arm64"
)

// FreeEphemeralMB is the ephemeral storage every function has without charge; only what is
// configured above it is billed (lambda-api.md §6).
const FreeEphemeralMB = 512

// MBmsPerGBSecond is how many MB-milliseconds make one GB-second (1,024 MB × 1,000 ms): usage is
// counted in whole MB-ms so that sums are exact, and priced per GB-second.
const MBmsPerGBSecond = 1024 * 1000

// Measure is what one invocation used, as the agent measured it, and what its function
// configured.
type Measure struct {
	Duration       time.Duration // invoke phase
	InitDuration   time.Duration // init phase this invocation ran (cold start); 0 when warm
	MemoryMB       int           // configured MemorySize
	EphemeralMB    int           // configured EphemeralStorage (0: the default 512 MB)
	MaxMemoryBytes int64         // peak memory; < 0 when unknown
	// Provisioned says the invocation ran on a provisioned concurrency environment. Its init
	// ran ahead of any invocation and is paid as provisioned time (lambda-api.md §9.6), so
	// Lambda bills no init to its invocations and reports no Init Duration: InitDuration is
	// ignored.
	Provisioned bool
}

// BilledInit is the init duration billed (and shown in the REPORT line): InitDuration, or none
// on a provisioned environment.
func (m Measure) BilledInit() time.Duration {
	if m.Provisioned {
		return 0
	}
	return m.InitDuration
}

// Bill is what Lambda's rules make of a Measure: the numbers of the REPORT line and of the
// usage record. Meter is the one place that computes them.
type Bill struct {
	BilledMs        int64 // BilledMs(Duration, BilledInit())
	MaxMemoryUsedMB int64 // MaxMemoryUsedMB(MaxMemoryBytes)
	MBms            int64 // MemoryMB × BilledMs: GB-seconds × MBmsPerGBSecond
	StorageMBms     int64 // (EphemeralMB − FreeEphemeralMB)⁺ × BilledMs
}

// Meter bills one invocation by Lambda's rules (lambda-api.md §6, §7): the invoke phase plus
// the init it ran, except on a provisioned environment (Measure.Provisioned).
func Meter(m Measure) Bill {
	b := Bill{BilledMs: BilledMs(m.Duration, m.BilledInit()), MaxMemoryUsedMB: MaxMemoryUsedMB(m.MaxMemoryBytes)}
	b.MBms, b.StorageMBms = b.Compute(m.MemoryMB, m.EphemeralMB)
	return b
}

// Compute is the compute and the billable ephemeral storage of BilledMs at memoryMB and
// ephemeralMB (0: the default), in MB-milliseconds.
func (b Bill) Compute(memoryMB, ephemeralMB int) (mbMs, storageMBms int64) {
	if ephemeralMB == 0 {
		ephemeralMB = DefaultEphemeralMB
	}
	return int64(memoryMB) * b.BilledMs, int64(max(0, ephemeralMB-FreeEphemeralMB)) * b.BilledMs
}

// GBSeconds is MB-milliseconds in GB-seconds (for display; sums stay in MB-ms).
func GBSeconds(mbMs int64) float64 { return float64(mbMs) / MBmsPerGBSecond }

// BilledMs is the billed duration of one invocation in milliseconds: the invoke phase plus the
// init phase it ran (zero on a warm invocation), each measured to the microsecond (truncated, as
// usage records keep them), rounded up to 1 ms, at least 1 ms. So a record's billed duration is
// ceil((duration µs + init µs) / 1000) of its own fields. Init is billed for every on-demand
// function since 2025-08-01, and always was for custom runtimes and images (lambda-api.md §6,
// §7: "Billed Duration = ceil(Init Duration + Duration)").
func BilledMs(duration, init time.Duration) int64 {
	d := duration.Truncate(time.Microsecond) + init.Truncate(time.Microsecond)
	if d <= 0 {
		return 1
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
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
