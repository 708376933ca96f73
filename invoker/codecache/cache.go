// Package codecache turns a function's zip, named by its hex SHA-256, into a directory tree on the
// host that the invoker bind-mounts read-only at /var/task.
//
// Design choices:
//   - One tree per content hash (DataDir/code/<sha256>): every function and version with the same
//     code shares it, and a tree never changes once it exists, so containers can mount it while
//     others are created.
//   - A tree is written into a temporary sibling directory and renamed into place, so a reader
//     sees either no tree or a complete one, also after a crash (stale temporaries are removed at
//     start).
//   - Concurrent cold starts of the same code share one fetch and extraction
//     (golang.org/x/sync/singleflight). The shared work runs on a context detached from the first
//     caller, so one caller giving up does not fail the others; each caller still stops waiting
//     when its own context ends.
//   - The zip is untrusted input. Extract refuses path traversal, symlinks that resolve outside
//     the tree, special files, more than MaxUnzippedBytes written (counted while writing, not taken
//     from the declared sizes) and anything that is not a zip; see extract.go.
//   - Refusals are *lambdaerr.APIError InvalidZipFileException with status 502, as Lambda's Invoke
//     answers for code it cannot unzip: the request was fine, the stored code is not. A gateway
//     that validates uploads with Extract should answer 400 InvalidParameterValueException itself.
//   - Trees are not evicted yet: the cache grows with the number of distinct code hashes.
package codecache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"
)

// Fetcher returns a zip by its hex SHA-256. invoker.CodeFetcher satisfies it.
type Fetcher interface {
	FetchCode(ctx context.Context, sha256Hex string) ([]byte, error)
}

// fetchTimeout bounds one shared fetch and extraction.
const fetchTimeout = 5 * time.Minute

// tmpPrefix marks trees under construction.
const tmpPrefix = ".tmp-"

// Cache maps content hashes to extracted trees under one directory.
type Cache struct {
	dir   string
	fetch Fetcher
	log   *zap.Logger
	fills singleflight.Group // in-flight fetch+extract by hash
}

// New opens (creating it if needed) the cache directory dir and removes trees left half-written
// by an earlier process.
func New(dir string, fetch Fetcher, log *zap.Logger) (*Cache, error) {
	if fetch == nil {
		return nil, errors.New("codecache: no Fetcher")
	}
	if err := PrepareDir(dir, tmpPrefix); err != nil {
		return nil, fmt.Errorf("codecache: %w", err)
	}
	return &Cache{dir: dir, fetch: fetch, log: log}, nil
}

// Dir returns the directory holding the extracted zip with the given hex SHA-256, fetching and
// extracting it on a miss.
func (c *Cache) Dir(ctx context.Context, sha256Hex string) (string, error) {
	sha := strings.ToLower(sha256Hex)
	if !validHash(sha) {
		return "", fmt.Errorf("codecache: invalid code hash %q", sha256Hex)
	}
	final := filepath.Join(c.dir, sha)
	if fi, err := os.Stat(final); err == nil && fi.IsDir() {
		return final, nil
	}

	// The shared work is detached from the caller that starts it, so its giving up fails no other.
	work := context.WithoutCancel(ctx)
	ch := c.fills.DoChan(sha, func() (any, error) {
		fillCtx, cancel := context.WithTimeout(work, fetchTimeout)
		defer cancel()
		return c.fill(fillCtx, sha, final)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", fmt.Errorf("codecache: waiting for code %s: %w", sha, ctx.Err())
	}
}

// fill fetches, verifies and extracts one zip into final.
func (c *Cache) fill(ctx context.Context, sha, final string) (string, error) {
	start := time.Now()
	data, err := c.fetch.FetchCode(ctx, sha)
	if err != nil {
		return "", fmt.Errorf("codecache: fetch code %s: %w", sha, err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != sha {
		return "", fmt.Errorf("codecache: fetched code has SHA-256 %s, want %s", got, sha)
	}
	tmp, err := os.MkdirTemp(c.dir, tmpPrefix+sha[:12]+"-")
	if err != nil {
		return "", fmt.Errorf("codecache: create temporary tree: %w", err)
	}
	if err := Extract(data, tmp); err != nil {
		_ = os.RemoveAll(tmp)
		return "", err
	}
	if err := Publish(tmp, final); err != nil {
		return "", fmt.Errorf("codecache: %w", err)
	}
	c.log.Info("code extracted", zap.String("sha256", sha), zap.Int("zip_bytes", len(data)),
		zap.Duration("took", time.Since(start)))
	return final, nil
}

// validHash reports whether s is 64 lowercase hex digits (and so also a safe file name).
func validHash(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
