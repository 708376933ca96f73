package cgroup

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestPeakMemory(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		want    int64
		wantErr error
	}{
		{name: "v2", files: map[string]string{"memory.peak": "73400320\n"}, want: 73400320},
		{name: "v1", files: map[string]string{"memory/memory.max_usage_in_bytes": "1048576\n"}, want: 1 << 20},
		{name: "v2 wins over v1", files: map[string]string{"memory.peak": "5", "memory/memory.max_usage_in_bytes": "7"}, want: 5},
		{name: "none", files: nil, wantErr: ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for name, content := range tt.files {
				p := filepath.Join(root, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := PeakMemory(root)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("PeakMemory = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestPeakMemoryGarbage(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "memory.peak"), []byte("max\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := PeakMemory(root); err == nil || errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want a parse error", err)
	}
}

// BenchmarkPeakMemory reads the real cgroup filesystem of the host (or container) running it,
// as the agent does after every invocation.
func BenchmarkPeakMemory(b *testing.B) {
	if _, err := PeakMemory(DefaultRoot); err != nil {
		b.Skip(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PeakMemory(DefaultRoot); err != nil {
			b.Fatal(err)
		}
	}
}
