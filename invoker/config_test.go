package invoker

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestConfigPrewarmDefaults(t *testing.T) {
	agent := filepath.Join(t.TempDir(), "agent")
	if err := os.WriteFile(agent, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	base := Config{ID: "inv", DataDir: t.TempDir(), AgentBinary: agent}
	tests := []struct {
		name       string
		set        func(c *Config)
		prewarm    int
		shapes     []Shape
		maxStarts  int
		wantErrMsg bool
	}{
		{"defaults: one stem of each runtime image at 128 MB", func(*Config) {}, 1,
			[]Shape{{DefaultRuntimeImage, 128, 512}}, 4, false},
		{"two images", func(c *Config) {
			c.RuntimeImages = map[string]string{"provided": "b:1", "provided.al2": "a:1", "provided.al2023": "a:1"}
			c.Prewarm, c.MaxConcurrentStarts = 2, 1
		}, 2, []Shape{{"a:1", 128, 512}, {"b:1", 128, 512}}, 1, false},
		{"configured shapes are kept", func(c *Config) { c.PrewarmShapes = []Shape{{"x", 1024, 512}} }, 1,
			[]Shape{{"x", 1024, 512}}, 4, false},
		{"off", func(c *Config) { c.Prewarm = -1 }, -1, nil, 4, false},
		{"negative starts", func(c *Config) { c.MaxConcurrentStarts = -1 }, 0, nil, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.set(&c)
			got, err := c.withDefaults(1 << 30)
			if (err != nil) != tc.wantErrMsg {
				t.Fatalf("withDefaults: %v", err)
			}
			if err != nil {
				return
			}
			if got.Prewarm != tc.prewarm || !slices.Equal(got.PrewarmShapes, tc.shapes) || got.MaxConcurrentStarts != tc.maxStarts {
				t.Errorf("prewarm %d shapes %v starts %d; want %d %v %d", got.Prewarm, got.PrewarmShapes,
					got.MaxConcurrentStarts, tc.prewarm, tc.shapes, tc.maxStarts)
			}
		})
	}
}

func TestConfigInitCPUs(t *testing.T) {
	agent := filepath.Join(t.TempDir(), "agent")
	if err := os.WriteFile(agent, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	base := Config{ID: "inv", DataDir: t.TempDir(), AgentBinary: agent}
	for _, tc := range []struct {
		name    string
		set     float64
		want    float64
		wantErr bool
	}{
		{name: "default", set: 0, want: DefaultInitCPUs},
		{name: "set", set: 1.5, want: 1.5},
		{name: "negative: off", set: -1, want: -1},
		{name: "NaN", set: math.NaN(), wantErr: true},
		{name: "infinite", set: math.Inf(1), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.InitCPUs = tc.set
			got, err := c.withDefaults(1 << 30)
			if (err != nil) != tc.wantErr {
				t.Fatalf("withDefaults: %v, want error %v", err, tc.wantErr)
			}
			if err == nil && got.InitCPUs != tc.want {
				t.Errorf("InitCPUs %g, want %g", got.InitCPUs, tc.want)
			}
		})
	}
}
