package schedexpr

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// rateUnits are the units of rate(value unit): EventBridge's minute, hour and day, and
// Lambdock's second. Value 1 takes the singular, larger values the plural.
var rateUnits = map[string]time.Duration{
	"second": time.Second,
	"minute": time.Minute,
	"hour":   time.Hour,
	"day":    24 * time.Hour,
}

// maxRateValue bounds a rate's value so that the interval fits a time.Duration with room.
const maxRateValue = 1_000_000

// parseRate parses the inside of rate(...): "5 minutes".
func parseRate(s string) (time.Duration, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, fmt.Errorf("a rate is rate(value unit), e.g. rate(5 minutes)")
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1 || f[0][0] == '0' || f[0][0] == '+' {
		return 0, fmt.Errorf("the value %q is not a positive whole number", f[0])
	}
	if n > maxRateValue {
		return 0, fmt.Errorf("the value %d is above %d", n, maxRateValue)
	}
	unit, plural := strings.CutSuffix(f[1], "s")
	d, ok := rateUnits[unit]
	switch {
	case !ok:
		return 0, fmt.Errorf("the unit %q is not one of second(s), minute(s), hour(s), day(s)", f[1])
	case n == 1 && plural:
		return 0, fmt.Errorf("a value of 1 takes the singular unit: rate(1 %s)", unit)
	case n > 1 && !plural:
		return 0, fmt.Errorf("a value above 1 takes the plural unit: rate(%d %ss)", n, unit)
	}
	return time.Duration(n) * d, nil
}
