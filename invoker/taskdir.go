package invoker

import (
	"fmt"
	"io/fs"
	"path/filepath"
)

// fillTaskDir copies the extracted code tree src into dst, an existing empty directory (a stem
// cell's task directory, already mounted read-only at /var/task in its container), linking
// its files (see linkEntry). An entry that exists in dst already is an error.
func fillTaskDir(src, dst string) error {
	err := walkTree(src, func(path, rel string, mode fs.FileMode) error {
		return linkEntry(path, filepath.Join(dst, rel), rel, mode)
	})
	if err != nil {
		return fmt.Errorf("invoker: fill task directory from %s: %w", src, err)
	}
	return nil
}
