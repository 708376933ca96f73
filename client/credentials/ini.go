package credentials

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// profiles is a parsed credentials file: profile name → key (lower case) → value.
type profiles map[string]map[string]string

// parseINI reads an AWS shared-credentials file. Section names and values are trimmed; keys are
// compared case-insensitively; blank lines and lines starting with # or ; are ignored. A later
// section of the same name adds to the earlier one, as the AWS SDKs do. A key outside any
// section, or a line that is neither a section, a key = value pair nor a comment, is an error
// naming the line (never its content, which may hold a secret).
func parseINI(r io.Reader) (profiles, error) {
	out := profiles{}
	var current map[string]string
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("line %d: unterminated section header", n)
			}
			name := strings.TrimSpace(line[1 : len(line)-1])
			name = strings.TrimSpace(strings.TrimPrefix(name, "profile "))
			if name == "" {
				return nil, fmt.Errorf("line %d: empty section name", n)
			}
			if out[name] == nil {
				out[name] = map[string]string{}
			}
			current = out[name]
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok {
				return nil, fmt.Errorf("line %d: want key = value", n)
			}
			if current == nil {
				return nil, fmt.Errorf("line %d: key outside a [profile] section", n)
			}
			current[strings.ToLower(strings.TrimSpace(key))] = strings.TrimSpace(value)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	return out, nil
}
