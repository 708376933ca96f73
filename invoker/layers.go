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
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("invoker: create %s: %w", dir, err)
	}
	stale, err := filepath.Glob(filepath.Join(dir, optTmpPrefix+"*"))
	if err != nil {
		return nil, fmt.Errorf("invoker: list stale layer trees: %w", err)
	}
	for _, p := range stale {
		if err := os.RemoveAll(p); err != nil {
			return nil, fmt.Errorf("invoker: remove stale layer tree %s: %w", p, err)
		}
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
	if err := os.Rename(tmp, final); err != nil {
		_ = os.RemoveAll(tmp)
		if fi, statErr := os.Stat(final); statErr == nil && fi.IsDir() {
			return nil, nil // another process built the same tree first
		}
		return nil, fmt.Errorf("invoker: move layer tree into place: %w", err)
	}
	o.log.Info("layers merged", zap.String("dir", final), zap.Int("layers", len(dirs)),
		zap.Duration("took", time.Since(start)))
	return nil, nil
}

// mergeTree adds the tree src to the tree dst: an entry of src replaces dst's entry of the same
// path, except that two directories merge. Regular files are hard links to src's (or copies
// where linking fails), directories get src's mode, symlinks are recreated as they are. The walk
// is top-down and never follows a symlink: every parent in dst is a real directory when an entry
// is written under it.
func mergeTree(src, dst string) error {
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil || rel == "." {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		existing, statErr := os.Lstat(target)
		mode := info.Mode()
		if statErr == nil && mode.IsDir() && existing.IsDir() {
			return os.Chmod(target, mode.Perm())
		}
		if statErr == nil {
			if err := os.RemoveAll(target); err != nil { // a later layer replaces it
				return err
			}
		}
		switch {
		case mode.IsDir():
			if err := os.Mkdir(target, mode.Perm()); err != nil {
				return err
			}
			return os.Chmod(target, mode.Perm()) // Mkdir is subject to the umask
		case mode.IsRegular():
			if err := os.Link(path, target); err == nil {
				return nil
			}
			return copyFile(path, target, mode.Perm())
		case mode&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			return fmt.Errorf("%s: unexpected file type %v", rel, mode.Type())
		}
	})
	if err != nil {
		return fmt.Errorf("invoker: merge layer %s: %w", src, err)
	}
	return nil
}
