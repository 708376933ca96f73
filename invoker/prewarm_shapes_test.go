package invoker

import (
	"slices"
	"testing"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
)

func TestShapeOf(t *testing.T) {
	images := map[string]string{"provided.al2023": "img:1"}
	tests := []struct {
		name string
		spec function.Spec
		want Shape
		ok   bool
	}{
		{"zip function", function.Spec{Runtime: "provided.al2023", MemoryMB: 256, EphemeralMB: 1024}, Shape{"img:1", 256, 1024}, true},
		{"image function", function.Spec{Image: "my:img", MemoryMB: 128, EphemeralMB: 512}, Shape{}, false},
		{"unknown runtime", function.Spec{Runtime: "cobol", MemoryMB: 128, EphemeralMB: 512}, Shape{}, false},
		{"zip function with layers", function.Spec{Runtime: "provided.al2023", MemoryMB: 256, EphemeralMB: 1024,
			Layers: []function.Layer{{ARN: "arn:aws:lambda:us-east-1:000000000000:layer:l:1", CodeSHA256: "ab"}}},
			Shape{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := shapeOf(tc.spec, images)
			if got != tc.want || ok != tc.ok {
				t.Errorf("shapeOf = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
	if k := (Shape{"img:1", 256, 1024}).key(); k != "stem:img:1:256:1024" || !isStemKey(k) {
		t.Errorf("key %q", k)
	}
	if isStemKey(function.Spec{Name: "stem", MemoryMB: 128}.PoolKey()) {
		t.Errorf("a function called stem has a stem key")
	}
}

func TestShapes(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	base := Shape{"img", 128, 512}
	shape := func(mb int) Shape { return Shape{"img", mb, 512} }
	const keep = 10 * time.Minute

	type step struct {
		use     int           // memory of a shape used at this step (0: none)
		at      time.Duration // since t0
		learned bool          // use reports a new shape
		active  []int         // memory of the active shapes after the step, in order
	}
	tests := []struct {
		name  string
		max   int
		steps []step
	}{
		{"configured shapes are always active and never learned", 2, []step{
			{use: 128, at: 0, learned: false, active: []int{128}},
			{at: 2 * keep, active: []int{128}},
		}},
		{"a cold start of a new shape adds it; most recent first", 4, []step{
			{use: 256, at: 0, learned: true, active: []int{128, 256}},
			{use: 512, at: time.Minute, learned: true, active: []int{128, 512, 256}},
			{use: 256, at: 2 * time.Minute, learned: false, active: []int{128, 256, 512}},
		}},
		{"a learned shape unused for the keep-alive is dropped", 4, []step{
			{use: 256, at: 0, learned: true, active: []int{128, 256}},
			{use: 512, at: 5 * time.Minute, learned: true, active: []int{128, 512, 256}},
			{at: keep, active: []int{128, 512}},
			{at: keep + 5*time.Minute, active: []int{128}},
			{use: 256, at: keep + 6*time.Minute, learned: true, active: []int{128, 256}},
		}},
		{"the cap replaces the least recently used learned shape", 2, []step{
			{use: 256, at: 0, learned: true, active: []int{128, 256}},
			{use: 512, at: time.Minute, learned: true, active: []int{128, 512, 256}},
			{use: 256, at: 2 * time.Minute, learned: false, active: []int{128, 256, 512}},
			{use: 1024, at: 3 * time.Minute, learned: true, active: []int{128, 1024, 256}},
		}},
		{"no learning with a cap of 0", 0, []step{
			{use: 256, at: 0, learned: false, active: []int{128}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newShapes([]Shape{base}, tc.max)
			for i, st := range tc.steps {
				now := t0.Add(st.at)
				if st.use != 0 {
					if got := s.use(shape(st.use), now); got != st.learned {
						t.Errorf("step %d: use(%d) = %v, want %v", i, st.use, got, st.learned)
					}
				}
				var got []int
				for _, sh := range s.active(now, keep) {
					got = append(got, sh.MemoryMB)
				}
				if !slices.Equal(got, st.active) {
					t.Errorf("step %d: active %v, want %v", i, got, st.active)
				}
			}
		})
	}
}
