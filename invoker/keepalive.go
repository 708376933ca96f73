package invoker

import (
	"maps"
	"slices"
	"time"
)

// The keep-alive policy follows each function's pattern, after the hybrid histogram policy of
// "Serverless in the Wild" (Shahrad et al., USENIX ATC '20): the idle times of a function (from
// one of its environments becoming idle to its next invocation) go into a histogram of 1-minute
// bins up to 4 hours; its keep-alive is the histogram's 99th percentile (the upper edge of that
// bin) plus 10%, within [1 minute, Config.KeepAlive]. With fewer than 5 samples, or when more
// than half of them fall beyond the last bin, the function's pattern is not known well enough
// and Config.KeepAlive applies.
const (
	idleBinWidth      = time.Minute
	idleBins          = 240 // 4 h
	idleMinSamples    = 5
	idlePercentile    = 0.99
	idleMargin        = 0.10
	keepAliveFloor    = time.Minute
	idleDecayAt       = 1024           // samples in a histogram: halve every bin, so old habits fade
	histogramTTL      = 24 * time.Hour // a function not invoked for this long loses its histogram
	maxHistograms     = 10000          // beyond this, the least recently invoked functions' go
	idleOutOfRangeMax = 0.5
)

// idleHistogram is one function's idle times (about 1 KB).
type idleHistogram struct {
	bins      [idleBins]uint32
	inRange   uint32 // samples in bins
	outRange  uint32 // samples beyond the last bin
	idleSince time.Time
	seen      time.Time     // the last invocation, or environment becoming idle
	keepAlive time.Duration // computed from the bins at the last sample; 0: the default
}

// keepAlives holds the idle-time histograms per function lineage. It is not safe for concurrent
// use: the pool guards it with its mutex.
type keepAlives struct {
	max time.Duration // Config.KeepAlive: the default and the upper bound
	fns map[string]*idleHistogram
}

func newKeepAlives(max time.Duration) *keepAlives {
	return &keepAlives{max: max, fns: map[string]*idleHistogram{}}
}

// idle records that an environment of lineage became idle at now.
func (k *keepAlives) idle(lineage string, now time.Time) {
	h := k.fns[lineage]
	if h == nil {
		h = &idleHistogram{}
		k.fns[lineage] = h
	}
	h.idleSince, h.seen = now, now
}

// invoked records an invocation of lineage at now; if one of its environments has become idle
// since the previous invocation, the time since then is a sample.
func (k *keepAlives) invoked(lineage string, now time.Time) {
	h := k.fns[lineage]
	if h == nil {
		return // never idle yet: nothing to measure
	}
	h.seen = now
	if h.idleSince.IsZero() {
		return
	}
	h.add(now.Sub(h.idleSince))
	h.idleSince = time.Time{}
	h.keepAlive = h.policy(k.max)
}

// of is lineage's keep-alive.
func (k *keepAlives) of(lineage string) time.Duration {
	if h := k.fns[lineage]; h != nil && h.keepAlive > 0 {
		return h.keepAlive
	}
	return k.max
}

// prune forgets the histograms of functions not invoked (nor idle) within histogramTTL, and the
// least recently seen ones beyond maxHistograms.
func (k *keepAlives) prune(now time.Time) {
	for l, h := range k.fns {
		if now.Sub(h.seen) > histogramTTL {
			delete(k.fns, l)
		}
	}
	if excess := len(k.fns) - maxHistograms; excess > 0 {
		names := slices.SortedFunc(maps.Keys(k.fns), func(a, b string) int { return k.fns[a].seen.Compare(k.fns[b].seen) })
		for _, l := range names[:excess] {
			delete(k.fns, l)
		}
	}
}

// add counts one idle time.
func (h *idleHistogram) add(d time.Duration) {
	if h.inRange+h.outRange >= idleDecayAt {
		h.inRange, h.outRange = 0, h.outRange/2
		for i := range h.bins {
			h.bins[i] /= 2
			h.inRange += h.bins[i]
		}
	}
	bin := int(max(d, 0) / idleBinWidth)
	if bin >= idleBins {
		h.outRange++
		return
	}
	h.bins[bin]++
	h.inRange++
}

// policy is the keep-alive the histogram calls for, or 0 for the default (limit).
func (h *idleHistogram) policy(limit time.Duration) time.Duration {
	total := h.inRange + h.outRange
	if total < idleMinSamples || float64(h.outRange) > idleOutOfRangeMax*float64(total) {
		return 0
	}
	// The 99th percentile of all samples; one beyond the last bin means the longest keep-alive.
	want := uint32(idlePercentile*float64(total) + 0.999999)
	var n uint32
	for i, c := range h.bins {
		if n += c; n >= want {
			upper := time.Duration(i+1) * idleBinWidth
			d := upper + time.Duration(float64(upper)*idleMargin)
			return min(max(d, min(keepAliveFloor, limit)), limit)
		}
	}
	return limit
}
