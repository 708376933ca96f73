// Package schedexpr parses schedule expressions and computes their ticks: EventBridge's
// cron(Minutes Hours Day-of-month Month Day-of-week Year) and rate(value unit) (lambda-api.md
// §9.2), a plain five-field crontab line ("*/5 * * * *"), and, as a Lambdock extension, rates in
// seconds ("rate(1 second)", "rate(10 seconds)"). Every time is UTC.
//
// Cron matching is github.com/adhocore/gronx's; this package checks EventBridge's grammar (six
// fields, one of the day fields '?', value bounds, names) and translates its day-of-week
// numbering (1 = Sunday) to gronx's (0 = Sunday).
//
// What this package is not: the scheduler (controller/schedule) or the API (gateway/schedules.go).
package schedexpr

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/adhocore/gronx"
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
	interval time.Duration // KindRate
	cron     string        // KindCron, KindCrontab: the gronx expression
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
		return Expr{kind: KindCron, source: src, cron: c}, nil
	case strings.HasPrefix(src, "rate") || strings.HasPrefix(src, "cron"):
		return Expr{}, fmt.Errorf("%w %q: write rate(value unit) or cron(six fields)", ErrInvalid, src)
	}
	c, err := translateCrontab(src)
	if err != nil {
		return Expr{}, fmt.Errorf("%w %q: %v", ErrInvalid, src, err)
	}
	return Expr{kind: KindCrontab, source: src, cron: c}, nil
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
	t, err := gronx.NextTickAfter(e.cron, after.Truncate(time.Second), false)
	if err != nil || !t.After(after) {
		return time.Time{}, false
	}
	return t.UTC(), true
}

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
	t, err := gronx.PrevTickBefore(e.cron, at.Truncate(time.Second), true)
	if err != nil || t.After(at) {
		return time.Time{}, false
	}
	return t.UTC(), true
}
