package invoker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/invoker/codecache"
)

// optTrees makes the directory a function's layers are mounted from at /opt: each layer's zip
// is extracted once per content hash by the code cache, and the layers of a function are merged,
// in order, into one tree per ordered list of hashes (DataDir/opt/<sha256 of the list>), a later
// layer's files replacing an earlier one's, as Lambda extracts layers into /opt in order.
//
// Design choices:
//   - One layer needs no merge: its code cache tree is mounted as it is.
//   - Files of a merged tree are hard links to the code cache's (nothing is copied; a copy only
//     where linking fails), so a merged tree costs directory entries, not data.
//   - A tree is built in a temporary sibling and renamed into place, so a reader sees none or a
//     complete one; concurrent cold starts of the same list share one build (singleflight);
//     stale temporaries are removed at start.
//   - Merged trees are not evicted, like the code cache's trees: they grow with the number of
//     distinct layer lists, and cost little (links). Removing DataDir/opt while the invoker is
//     stopped is safe.
type optTrees struct {
	dir   string
	code  *codecache.Cache
	log   *zap.Logger
	fills singleflight.Group
}

// optTmpPrefix marks merged trees under construction.
const optTmpPrefix = ".tmp-"

// newOptTrees opens (creating it) the merged trees' directory dir and removes half-built trees.
func newOptTrees(dir string, code *codecache.Cache, log *zap.Logger) (*optTrees, error) {
	if err := codecache.PrepareDir(dir, optTmpPrefix); err != nil {
		return nil, fmt.Errorf("invoker: layer trees: %w", err)
	}
	return &optTrees{dir: dir, code: code, log: log}, nil
}

// Dir returns the host directory to mount at /opt for layers, "" when there are none.
func (o *optTrees) Dir(ctx context.Context, layers []function.Layer) (string, error) {
	if len(layers) == 0 {
		return "", nil
	}
	dirs := make([]string, len(layers))
	hashes := make([]string, len(layers))
	for i, l := range layers {
		dir, err := o.code.Dir(ctx, l.CodeSHA256)
		if err != nil {
			return "", fmt.Errorf("layer %s: %w", l.ARN, err)
		}
		dirs[i], hashes[i] = dir, strings.ToLower(l.CodeSHA256)
	}
	if len(layers) == 1 {
		return dirs[0], nil
	}
	key := sha256.Sum256([]byte(strings.Join(hashes, "\n")))
	final := filepath.Join(o.dir, hex.EncodeToString(key[:]))
	if fi, err := os.Stat(final); err == nil && fi.IsDir() {
		return final, nil
	}
	ch := o.fills.DoChan(final, func() (any, error) { return o.build(final, dirs) })
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return final, nil
	case <-ctx.Done():
		return "", fmt.Errorf("invoker: waiting for the layers' tree: %w", ctx.Err())
	}
}

// build merges dirs into a temporary tree and renames it to final.
func (o *optTrees) build(final string, dirs []string) (any, error) {
	start := time.Now()
	tmp, err := os.MkdirTemp(o.dir, optTmpPrefix)
	if err != nil {
		return nil, fmt.Errorf("invoker: create temporary layer tree: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes it 0700
		_ = os.RemoveAll(tmp)
		return nil, fmt.Errorf("invoker: chmod %s: %w", tmp, err)
	}
	for _, d := range dirs {
		if err := mergeTree(d, tmp); err != nil {
			_ = os.RemoveAll(tmp)
			return nil, err
		}
	}
	if err := codecache.Publish(tmp, final); err != nil {
		return nil, fmt.Errorf("invoker: layer tree: %w", err)
	}
	o.log.Info("layers merged", zap.String("dir", final), zap.Int("layers", len(dirs)),
		zap.Duration("took", time.Since(start)))
	return nil, nil
}

// mergeTree adds the tree src to the tree dst: an entry of src replaces dst's entry of the same
// path, except that two directories merge; entries are made by linkEntry (hard links to src's
// files). The walk is top-down and never follows a symlink: every parent in dst is a real
// directory when an entry is written under it.
func mergeTree(src, dst string) error {
	err := walkTree(src, func(path, rel string, mode fs.FileMode) error {
		target := filepath.Join(dst, rel)
		existing, statErr := os.Lstat(target)
		if statErr == nil && mode.IsDir() && existing.IsDir() {
			return os.Chmod(target, mode.Perm())
		}
		if statErr == nil {
			if err := os.RemoveAll(target); err != nil { // a later layer replaces it
				return err
			}
		}
		return linkEntry(path, target, rel, mode)
	})
	if err != nil {
		return fmt.Errorf("invoker: merge layer %s: %w", src, err)
	}
	return nil
}
