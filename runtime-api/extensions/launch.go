package extensions

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultDir is where Lambda looks for external extensions (layers are extracted into /opt).
const DefaultDir = "/opt/extensions"

// Discover lists the external extensions in dir: every executable regular file (symbolic links
// followed), by name. A missing dir is no extension. More than MaxExtensions is an error.
func Discover(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("extensions: read %s: %w", dir, err)
	}
	var paths []string
	for _, ent := range entries {
		p := filepath.Join(dir, ent.Name())
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			continue // not an executable file (a dangling link, a directory, data)
		}
		paths = append(paths, p)
	}
	sort.Strings(paths) // ReadDir sorts already; the order is part of the contract
	if len(paths) > MaxExtensions {
		return nil, fmt.Errorf("extensions: %d extensions in %s, the limit is %d", len(paths), dir, MaxExtensions)
	}
	return paths, nil
}

// Environ is the environment of an external extension: the runtime's, minus the keys that
// start with "_" (_HANDLER, _X_AMZN_TRACE_ID, …), as Lambda gives it (lambda-api.md §1.11).
func Environ(runtime []string) []string {
	out := make([]string, 0, len(runtime))
	for _, kv := range runtime {
		if !strings.HasPrefix(kv, "_") {
			out = append(out, kv)
		}
	}
	return out
}
