package schedexpr

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// field describes one cron field: its bounds, the names it accepts and the wildcards beyond
// ", - * /".
type field struct {
	name     string
	min, max int
	names    map[string]int
	question bool // '?'
	domLW    bool // 'L' (last day of the month) and 'nW' (nearest weekday)
	dowLHash bool // 'L', 'nL' (last n-day of the month) and 'n#k' (k-th n-day)
}

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7,
		"AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	// awsDays numbers the days as EventBridge does: 1 = Sunday.
	awsDays = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
	// unixDays numbers them as crontab does: 0 (or 7) = Sunday.
	unixDays = map[string]int{"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}
)

// awsFields are the six fields of EventBridge's cron(...).
var awsFields = [6]field{
	{name: "Minutes", min: 0, max: 59},
	{name: "Hours", min: 0, max: 23},
	{name: "Day-of-month", min: 1, max: 31, question: true, domLW: true},
	{name: "Month", min: 1, max: 12, names: monthNames},
	{name: "Day-of-week", min: 1, max: 7, names: awsDays, question: true, dowLHash: true},
	{name: "Year", min: 1970, max: 2199},
}

// unixFields are the five fields of a crontab line.
var unixFields = [5]field{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31, domLW: true},
	{name: "month", min: 1, max: 12, names: monthNames},
	{name: "day of week", min: 0, max: 7, names: unixDays, dowLHash: true},
}

// maxCronexprYear is the last year cronexpr knows; EventBridge's go to 2199.
const maxCronexprYear = 2099

// translateAWSCron checks the six fields of cron(...) and returns the equivalent seven-field
// cronexpr line (seconds first, day-of-week counted from 0 = Sunday), or "" when its years are
// all beyond cronexpr's (it never fires in this century).
func translateAWSCron(s string) (string, error) {
	f := strings.Fields(strings.ToUpper(s))
	if len(f) != 6 {
		return "", fmt.Errorf("cron(...) takes six fields (Minutes Hours Day-of-month Month Day-of-week "+
			"Year), got %d", len(f))
	}
	dom, dow := f[2] == "?", f[4] == "?"
	if dom == dow {
		return "", fmt.Errorf("one of Day-of-month and Day-of-week must be '?', and only one")
	}
	out := []string{"0"}
	for i, spec := range awsFields {
		t, err := spec.translate(f[i], -1)
		if err != nil {
			return "", err
		}
		out = append(out, t)
	}
	if years := out[6]; years != "*" {
		var kept []string
		for _, y := range strings.Split(years, ",") {
			if n, _ := strconv.Atoi(y); n <= maxCronexprYear { // translate wrote numbers
				kept = append(kept, y)
			}
		}
		if len(kept) == 0 {
			return "", nil
		}
		out[6] = strings.Join(kept, ",")
	}
	return strings.Join(out, " "), nil
}

// translateCrontab checks a five-field crontab line and returns the seven-field cronexpr line.
func translateCrontab(s string) (string, error) {
	f := strings.Fields(strings.ToUpper(s))
	if len(f) != 5 {
		return "", fmt.Errorf("a crontab expression has five fields (minute hour day-of-month month "+
			"day-of-week), got %d; EventBridge's six-field form is written cron(...)", len(f))
	}
	out := []string{"0"}
	for i, spec := range unixFields {
		t, err := spec.translate(f[i], 0)
		if err != nil {
			return "", err
		}
		out = append(out, t)
	}
	return strings.Join(append(out, "*"), " "), nil
}

// translate checks one field and writes it for cronexpr: lists, ranges and steps expanded into the
// values they stand for, names into numbers, days of the week shifted by dowShift (-1 for
// EventBridge's 1 = Sunday, 0 for crontab's 0 or 7 = Sunday, 7 becoming 0).
func (f field) translate(s string, dowShift int) (string, error) {
	if s == "*" || (s == "?" && f.question) {
		return s, nil
	}
	var values []int
	var special []string
	hashes := 0
	for _, term := range strings.Split(s, ",") {
		switch {
		case term == "":
			return "", fmt.Errorf("%s: empty list item in %q", f.name, s)
		case term == "?":
			return "", fmt.Errorf("%s: '?' must stand alone%s", f.name, f.questionHint())
		case f.domLW && term == "L":
			special = append(special, "L")
		case f.domLW && strings.HasSuffix(term, "W"):
			n, err := f.value(strings.TrimSuffix(term, "W"))
			if err != nil {
				return "", err
			}
			special = append(special, strconv.Itoa(n)+"W")
		case f.dowLHash && term == "L":
			values = append(values, f.max) // the last day of the week: Saturday
		case f.dowLHash && strings.HasSuffix(term, "L"):
			n, err := f.value(strings.TrimSuffix(term, "L"))
			if err != nil {
				return "", err
			}
			special = append(special, strconv.Itoa(dowOf(n, dowShift))+"L")
		case f.dowLHash && strings.Contains(term, "#"):
			if hashes++; hashes > 1 {
				return "", fmt.Errorf("%s: only one '#' term is allowed", f.name)
			}
			day, nth, _ := strings.Cut(term, "#")
			n, err := f.value(day)
			if err != nil {
				return "", err
			}
			k, err := strconv.Atoi(nth)
			if err != nil || k < 1 || k > 5 {
				return "", fmt.Errorf("%s: in %q the week after '#' must be 1-5", f.name, term)
			}
			special = append(special, fmt.Sprintf("%d#%d", dowOf(n, dowShift), k))
		default:
			vs, err := f.expand(term)
			if err != nil {
				return "", err
			}
			values = append(values, vs...)
		}
	}
	out := special
	if f.dowLHash {
		for i, v := range values {
			values[i] = dowOf(v, dowShift)
		}
	}
	slices.Sort(values)
	for _, v := range slices.Compact(values) {
		out = append(out, strconv.Itoa(v))
	}
	return strings.Join(out, ","), nil
}

// dowOf maps a day of the week to cronexpr's 0 = Sunday.
func dowOf(v, shift int) int { return (v + shift + 7) % 7 }

// questionHint explains '?' in fields that do not take it at all.
func (f field) questionHint() string {
	if f.question {
		return ""
	}
	return " and only in Day-of-month or Day-of-week"
}

// expand returns the values of one list item: v, v-w, */s, v/s or v-w/s.
func (f field) expand(term string) ([]int, error) {
	rng, stepText, hasStep := strings.Cut(term, "/")
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepText)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: the step in %q must be a positive whole number", f.name, term)
		}
		step = n
	}
	lo, hi := f.min, f.max
	switch a, b, isRange := strings.Cut(rng, "-"); {
	case rng == "*":
	case isRange:
		var err error
		if lo, err = f.value(a); err != nil {
			return nil, err
		}
		if hi, err = f.value(b); err != nil {
			return nil, err
		}
		if hi < lo {
			return nil, fmt.Errorf("%s: the range %q runs backwards", f.name, rng)
		}
	default:
		v, err := f.value(rng)
		if err != nil {
			return nil, err
		}
		lo = v
		if !hasStep {
			hi = v
		}
	}
	var out []int
	for v := lo; v <= hi; v += step {
		out = append(out, v)
	}
	return out, nil
}

// value parses one number or name of the field and checks its bounds.
func (f field) value(s string) (int, error) {
	if n, ok := f.names[s]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("%s: %q is not a value of this field (%s)", f.name, s, f.allowed())
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("%s: %d is out of range (%s)", f.name, n, f.allowed())
	}
	return n, nil
}

// allowed says what the field takes, for messages.
func (f field) allowed() string {
	switch {
	case f.names == nil:
		return fmt.Sprintf("%d-%d", f.min, f.max)
	case f.dowLHash && f.min == 1:
		return "1-7 or SUN-SAT, 1 = Sunday"
	case f.dowLHash:
		return "0-7 or SUN-SAT, 0 and 7 = Sunday"
	}
	return fmt.Sprintf("%d-%d or JAN-DEC", f.min, f.max)
}
