package invoker

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
)

// stemPrefix starts the pool key of every pre-warmed environment (a stem cell): the eviction
// order ranks these first, and Stats does not count them as a function's idle containers.
const stemPrefix = "stem:"

// maxLearnedShapes bounds the shapes learned from cold starts (besides the configured ones).
const maxLearnedShapes = 8

// Shape is what a pre-warmed container is made for: everything of its container definition
// that depends on the function (CPU follows memory). A zip function whose runtime image, memory
// and ephemeral storage match can use it.
type Shape struct {
	Image       string // runtime image
	MemoryMB    int
	EphemeralMB int
}

// key is the pool key of the shape's stem cells: stem:<image>:<memory>:<ephemeral>.
func (s Shape) key() string {
	return stemPrefix + s.Image + ":" + strconv.Itoa(s.MemoryMB) + ":" + strconv.Itoa(s.EphemeralMB)
}

// isStemKey reports whether a pool key is a stem cell's.
func isStemKey(key string) bool { return strings.HasPrefix(key, stemPrefix) }

// shapeOf is the shape a function needs, false for an image function, a function with layers
// (a stem cell's /opt is fixed when its container is created) or an unknown runtime (spec with
// defaults applied).
func shapeOf(spec function.Spec, runtimeImages map[string]string) (Shape, bool) {
	if spec.Image != "" || len(spec.Layers) > 0 {
		return Shape{}, false
	}
	image, ok := runtimeImages[spec.Runtime]
	if !ok {
		return Shape{}, false
	}
	return Shape{Image: image, MemoryMB: spec.MemoryMB, EphemeralMB: spec.EphemeralMB}, true
}

// shapes is the bookkeeping of which shapes get stem cells: the configured ones, always, and up
// to maxLearnedShapes learned from cold starts, each dropped once unused for the keep-alive.
// Not safe for concurrent use (the prewarmer guards it).
type shapes struct {
	initial []Shape
	learned map[Shape]time.Time // shape → last use (a cold start or a stem taken)
	limit   int                 // of learned shapes
}

func newShapes(initial []Shape, limit int) *shapes {
	return &shapes{initial: slices.Clone(initial), learned: map[Shape]time.Time{}, limit: limit}
}

// use records that a function of shape s started at now (cold, or on a stem). A shape not yet
// known is learned, replacing the least recently used learned shape when there are limit already.
// It reports whether s is new.
func (s *shapes) use(sh Shape, now time.Time) bool {
	if slices.Contains(s.initial, sh) {
		return false
	}
	_, known := s.learned[sh]
	if !known && len(s.learned) >= s.limit {
		if s.limit <= 0 {
			return false
		}
		var oldest Shape
		var oldestAt time.Time
		for k, at := range s.learned {
			if oldestAt.IsZero() || at.Before(oldestAt) {
				oldest, oldestAt = k, at
			}
		}
		delete(s.learned, oldest)
	}
	s.learned[sh] = now
	return !known
}

// active drops the learned shapes unused for keepAlive and returns the shapes to keep stem
// cells for: the configured ones first, then the learned ones, most recently used first.
func (s *shapes) active(now time.Time, keepAlive time.Duration) []Shape {
	out := slices.Clone(s.initial)
	var learned []Shape
	for sh, at := range s.learned {
		if now.Sub(at) >= keepAlive {
			delete(s.learned, sh)
			continue
		}
		learned = append(learned, sh)
	}
	slices.SortFunc(learned, func(a, b Shape) int { return s.learned[b].Compare(s.learned[a]) })
	return append(out, learned...)
}
