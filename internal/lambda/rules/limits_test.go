package rules

import (
	"testing"
	"time"
)

// The published figures, written out as lambda-api.md writes them, so a slip in an expression
// (6<<20 for 6*1024*1024+100, MB for MiB) shows.
func TestPublishedLimits(t *testing.T) {
	tests := []struct {
		name      string
		got, want int64
	}{
		{"Runtime API payload (§1.7)", MaxRuntimePayload, 6_291_556},
		{"Invoke request (§3.4)", MaxInvokeRequest, 6_291_456},
		{"streamed response (§1.7)", MaxStreamedResponse, 209_715_200},
		{"client context (§3.1)", MaxClientContext, 3_583},
		{"log tail (§3.2)", LogTailBytes, 4 * 1024},
		{"least memory (§3.7)", MinMemoryMB, 128},
		{"most memory (§3.7)", MaxMemoryMB, 10_240},
		{"default memory (§3.7)", DefaultMemoryMB, 128},
		{"shortest timeout (§3.7)", MinTimeoutSec, 1},
		{"longest timeout (§3.7)", MaxTimeoutSec, 900},
		{"default timeout (§3.7)", DefaultTimeoutSec, 3},
		{"least ephemeral storage (§3.7)", MinEphemeralMB, 512},
		{"most ephemeral storage (§3.7)", MaxEphemeralMB, 10_240},
		{"default ephemeral storage (§3.7)", DefaultEphemeralMB, 512},
		{"environment (§3.7)", MaxEnvBytes, 4 * 1024},
		{"unzipped package (§2.2)", MaxUnzippedBytes, 262_144_000},
		{"zipped upload (§2.2)", MaxZippedBytes, 52_428_800},
		{"function name (§3.1)", MaxFunctionNameLen, 64},
		{"function reference (§3.1)", MaxFunctionRefLen, 170},
		{"qualifier (§3.1)", MaxQualifierLen, 128},
		{"handler (§3.7)", MaxHandlerLen, 128},
		{"description (§3.7)", MaxDescriptionLen, 256},
		{"init limit in ms (§1.8)", InitTimeout.Milliseconds(), (10 * time.Second).Milliseconds()},
		{"account concurrency (§4.2)", DefaultAccountConcurrency, 1_000},
		{"unreserved minimum (§4.2)", MinUnreservedConcurrency, 100},
		{"MB per vCPU (§6)", MBPerVCPU, 1_769},
		{"largest function's vCPUs (§6)", MaxVCPUs, 6},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, tt.got, tt.want)
		}
	}
	// 10,240 MB is the largest memory and buys at most MaxVCPUs at MBPerVCPU.
	if cpus := MaxMemoryMB / MBPerVCPU; cpus+1 != MaxVCPUs {
		t.Errorf("MaxMemoryMB/MBPerVCPU = %d whole vCPUs, want %d (a part of the 6th)", cpus, MaxVCPUs-1)
	}
}
