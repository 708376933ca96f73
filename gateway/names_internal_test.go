package gateway

import (
	"strings"
	"testing"

	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// TestSplitRefPlainName checks that the fast path for plain names gives what the regular
// expression gives, and leaves everything else to it.
func TestSplitRefPlainName(t *testing.T) {
	tests := []struct {
		raw   string
		plain bool
	}{
		{"fn", true},
		{"My_Function-1", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"fn:$LATEST", false},
		{"fn:1", false},
		{"000000000000:function:fn", false},
		{"arn:aws:lambda:us-east-1:000000000000:function:fn", false},
		{"fn.x", false},
		{"fn/x", false},
		{"fné", false},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			if got := plainName(tt.raw); got != tt.plain {
				t.Fatalf("plainName(%q) = %v, want %v", tt.raw, got, tt.plain)
			}
			got, gotErr := splitRef(tt.raw)
			var want functionRef
			var wantErr bool
			m := refPattern.FindStringSubmatch(tt.raw)
			if len(tt.raw) > rules.MaxFunctionRefLen || m == nil || len(m[3]) > rules.MaxFunctionNameLen || len(m[4]) > rules.MaxQualifierLen {
				wantErr = true
			} else {
				want = functionRef{Account: m[1] + m[2], Name: m[3], Qualifier: m[4]}
			}
			if (gotErr != nil) != wantErr || got != want {
				t.Errorf("splitRef(%q) = %+v, %v; the regular expression gives %+v, error %v", tt.raw, got, gotErr, want, wantErr)
			}
		})
	}
}

// BenchmarkSplitRef is the Invoke path's name parsing: a plain name, and an ARN (the regular
// expression).
func BenchmarkSplitRef(b *testing.B) {
	for _, raw := range []string{"bench-1769", "arn:aws:lambda:us-east-1:000000000000:function:bench-1769"} {
		b.Run(strings.SplitN(raw, ":", 2)[0], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := splitRef(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
