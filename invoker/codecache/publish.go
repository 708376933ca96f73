package codecache

import (
	"fmt"
	"os"
	"path/filepath"
)

// PrepareDir creates (if needed) dir, a directory of trees that are each built in a temporary
// sibling named prefix* and renamed into place, and removes the temporaries an earlier process
// left half-built. The cache's trees and the invoker's merged layer trees both use it.
func PrepareDir(dir, prefix string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	stale, err := filepath.Glob(filepath.Join(dir, prefix+"*"))
	if err != nil {
		return fmt.Errorf("list stale trees: %w", err)
	}
	for _, p := range stale {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("remove stale tree %s: %w", p, err)
		}
	}
	return nil
}

// Publish renames the complete tree tmp to final, so that a reader sees either no tree or a
// complete one. When that fails tmp is removed; if another process put a tree at final first,
// that one is as good and Publish succeeds.
func Publish(tmp, final string) error {
	err := os.Rename(tmp, final)
	if err == nil {
		return nil
	}
	_ = os.RemoveAll(tmp)
	if fi, statErr := os.Stat(final); statErr == nil && fi.IsDir() {
		return nil
	}
	return fmt.Errorf("move tree into place: %w", err)
}
