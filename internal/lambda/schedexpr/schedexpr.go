// Package schedexpr parses schedule expressions and computes their ticks: EventBridge's
// cron(Minutes Hours Day-of-month Month Day-of-week Year) and rate(value unit) (lambda-api.md
// §9.2), a plain five-field crontab line ("*/5 * * * *"), and, as a Lambdock extension, rates in
// seconds ("rate(1 second)", "rate(10 seconds)"). Every time is UTC.
//
// Cron ticks are computed by github.com/hashicorp/cronexpr (L, W, # and years included); this
// package checks EventBridge's grammar first (six fields, one of the day fields '?', value
// bounds, names) and translates its day-of-week numbering (1 = Sunday) to cronexpr's (0 =
// Sunday). (github.com/adhocore/gronx was tried first: its next tick is wrong for cron(0 0 29 2 ?
// *) and for years far ahead.) An Expr must not be used by two goroutines at once (cronexpr
// keeps scratch state in the expression).
//
// What this package is not: the scheduler (controller/schedule) or the API (gateway/schedules.go).
package schedexpr

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/cronexpr"
)

// Kind says how an expression was written.
type Kind int

const (
	// KindRate is rate(value unit): ticks every Interval from the schedule's anchor.
	KindRate Kind = iota + 1
	// KindCron is EventBridge's cron(...) with six fields.
	KindCron
	// KindCrontab is a plain five-field crontab line.
	KindCrontab
)

// Expr is a parsed schedule expression. Build it with Parse.
type Expr struct {
	kind     Kind
	source   string
	interval time.Duration        // KindRate
	cron     *cronexpr.Expression // KindCron, KindCrontab; nil when the expression never fires
}

// ErrInvalid is wrapped by every error of Parse.
var ErrInvalid = errors.New("invalid schedule expression")

// Parse parses a schedule expression. Its errors wrap ErrInvalid and say what is wrong in words
// fit for a 400 answer.
func Parse(s string) (Expr, error) {
	src := strings.TrimSpace(s)
	switch {
	case src == "":
		return Expr{}, fmt.Errorf("%w: it is empty", ErrInvalid)
	case strings.HasPrefix(src, "rate(") && strings.HasSuffix(src, ")"):
		d, err := parseRate(src[len("rate(") : len(src)-1])
		if err != nil {
			return Expr{}, fmt.Errorf("%w %q: %v", ErrInvalid, src, err)
		}
		return Expr{kind: KindRate, source: src, interval: d}, nil
	case strings.HasPrefix(src, "cron(") && strings.HasSuffix(src, ")"):
		c, err := translateAWSCron(src[len("cron(") : len(src)-1])
		if err != nil {
			return Expr{}, fmt.Errorf("%w %q: %v", ErrInvalid, src, err)
		}
		return compile(KindCron, src, c)
	case strings.HasPrefix(src, "rate") || strings.HasPrefix(src, "cron"):
		return Expr{}, fmt.Errorf("%w %q: write rate(value unit) or cron(six fields)", ErrInvalid, src)
	}
	c, err := translateCrontab(src)
	if err != nil {
		return Expr{}, fmt.Errorf("%w %q: %v", ErrInvalid, src, err)
	}
	return compile(KindCrontab, src, c)
}

// compile builds the cronexpr expression of a translated cron line ("" never fires).
func compile(kind Kind, src, line string) (Expr, error) {
	e := Expr{kind: kind, source: src}
	if line == "" {
		return e, nil
	}
	c, err := cronexpr.Parse(line)
	if err != nil { // the translation is checked; this is a bug, but still the caller's 400
		return Expr{}, fmt.Errorf("%w %q: %v", ErrInvalid, src, err)
	}
	e.cron = c
	return e, nil
}

// Kind says how the expression was written.
func (e Expr) Kind() Kind { return e.kind }

// String is the expression as written (trimmed).
func (e Expr) String() string { return e.source }

// Interval is a rate's interval (0 for cron expressions).
func (e Expr) Interval() time.Duration { return e.interval }

// Next returns the first tick strictly after after, and false when there is none (a cron
// expression whose years are over). A rate's ticks are anchor + k·Interval, k ≥ 1, with anchor
// truncated to the second (EventBridge counts a rate from the rule's creation); cron ticks ignore
// anchor.
func (e Expr) Next(anchor, after time.Time) (time.Time, bool) {
	anchor, after = anchor.UTC().Truncate(time.Second), after.UTC()
	if e.kind == KindRate {
		if after.Before(anchor) {
			return anchor.Add(e.interval), true
		}
		k := after.Sub(anchor)/e.interval + 1
		return anchor.Add(k * e.interval), true
	}
	if e.cron == nil {
		return time.Time{}, false
	}
	t := e.cron.Next(after)
	if t.IsZero() || !t.After(after) {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// lookBack are the windows Latest searches backwards in, each much larger than the one before,
// so that the ticks to walk through in the first window that has one stay few.
var lookBack = []time.Duration{time.Minute, time.Hour, 24 * time.Hour, 32 * 24 * time.Hour,
	366 * 24 * time.Hour, 5 * 366 * 24 * time.Hour, 50 * 366 * 24 * time.Hour, 250 * 366 * 24 * time.Hour}

// Latest returns the last tick at or before at, and false when there is none after anchor (a
// rate) or at all.
func (e Expr) Latest(anchor, at time.Time) (time.Time, bool) {
	anchor, at = anchor.UTC().Truncate(time.Second), at.UTC()
	if e.kind == KindRate {
		k := at.Sub(anchor) / e.interval
		if k < 1 {
			return time.Time{}, false
		}
		return anchor.Add(k * e.interval), true
	}
	for _, w := range lookBack {
		t, ok := e.Next(anchor, at.Add(-w))
		if !ok || t.After(at) {
			continue
		}
		for {
			n, ok := e.Next(anchor, t)
			if !ok || n.After(at) {
				return t, true
			}
			t = n
		}
	}
	return time.Time{}, false
}
