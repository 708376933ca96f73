package function

import "testing"

func TestSpecDefaultsAndARN(t *testing.T) {
	tests := []struct {
		name      string
		spec      Spec
		arn       string
		qualified string
	}{
		{"defaults", Spec{Name: "hello"}, "arn:aws:lambda:us-east-1:000000000000:function:hello",
			"arn:aws:lambda:us-east-1:000000000000:function:hello:$LATEST"},
		{"explicit", Spec{Name: "f", Version: "3", Region: "eu-west-1", AccountID: "123456789012"},
			"arn:aws:lambda:eu-west-1:123456789012:function:f", "arn:aws:lambda:eu-west-1:123456789012:function:f:3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.spec.ARN(); got != tt.arn {
				t.Errorf("ARN() = %q, want %q", got, tt.arn)
			}
			if got := tt.spec.QualifiedARN(); got != tt.qualified {
				t.Errorf("QualifiedARN() = %q, want %q", got, tt.qualified)
			}
		})
	}
	d := Spec{Name: "x"}.WithDefaults()
	if d.MemoryMB != 128 || d.TimeoutSec != 3 || d.EphemeralMB != 512 || d.Version != "$LATEST" {
		t.Errorf("WithDefaults() = %+v", d)
	}
}

func TestPoolKeyChangesWithEverythingThatShapesAnEnvironment(t *testing.T) {
	base := Spec{Name: "f", CodeSHA256: "aa", Handler: "bootstrap", Environment: map[string]string{"A": "1"}}
	tests := []struct {
		name string
		mod  func(Spec) Spec
		same bool
	}{
		{"identical", func(s Spec) Spec { return s }, true},
		{"explicit defaults", func(s Spec) Spec { return s.WithDefaults() }, true},
		{"code", func(s Spec) Spec { s.CodeSHA256 = "bb"; return s }, false},
		{"memory", func(s Spec) Spec { s.MemoryMB = 256; return s }, false},
		{"timeout", func(s Spec) Spec { s.TimeoutSec = 9; return s }, false},
		{"environment", func(s Spec) Spec { s.Environment = map[string]string{"A": "2"}; return s }, false},
		{"version", func(s Spec) Spec { s.Version = "1"; return s }, false},
		{"other function", func(s Spec) Spec { s.Name = "g"; return s }, false},
		{"other account", func(s Spec) Spec { s.AccountID = "111111111111"; return s }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.mod(base).PoolKey() == base.PoolKey(); got != tt.same {
				t.Errorf("same pool key = %v, want %v", got, tt.same)
			}
		})
	}
}
