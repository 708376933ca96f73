package cli

import (
	"math"
	"strings"
)

// eighths are the left-aligned partial blocks: eighths[i] is i/8 of a character cell wide.
var eighths = [...]string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}

// bar draws v as a horizontal bar of Unicode block characters, to the eighth of a cell, scaled
// so that top fills width cells. A positive value too small to show still draws a sliver, so
// no usage is never confused with little.
func bar(v, top float64, width int) string {
	if v <= 0 || top <= 0 || width <= 0 || math.IsNaN(v) || math.IsNaN(top) {
		return ""
	}
	n := int(math.Round(min(v/top, 1) * float64(width*8)))
	n = max(n, 1)
	return strings.Repeat("█", n/8) + eighths[n%8]
}
