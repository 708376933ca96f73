package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lambdock/lambdock/internal/lambda/runtimes"
)

// BuildZip builds the project in dir (go build when build: go) and packages it: bootstrap with
// mode 0755 plus the project's include files, in a deterministic zip. A Python or Node.js
// project is packaged with its vendored dependencies (managedZip).
func BuildZip(ctx context.Context, dir string) ([]byte, error) { return buildZip(ctx, dir, io.Discard) }

// buildZip is BuildZip telling on out what it installs.
func buildZip(ctx context.Context, dir string, out io.Writer) ([]byte, error) {
	p, err := LoadProject(dir)
	if err != nil {
		return nil, err
	}
	if p.Build == BuildGo {
		if err := goBuild(ctx, dir); err != nil {
			return nil, err
		}
	}
	if rt, ok := runtimes.Lookup(p.Runtime); ok && rt.Managed() {
		return managedZip(ctx, dir, p, rt, out)
	}
	files, err := packageFiles(dir, p.Include)
	if err != nil {
		return nil, err
	}
	return zipFiles(dir, files)
}

// goBuild runs go build for linux/amd64 without cgo and without the RPC mode of aws-lambda-go,
// writing dir/bootstrap.
func goBuild(ctx context.Context, dir string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", "bootstrap", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build in %s: %w\n%s", dir, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// packageFiles lists what goes into the zip, relative to dir: bootstrap first, then the
// include globs (directories are walked), without duplicates.
func packageFiles(dir string, include []string) ([]string, error) {
	info, err := os.Stat(filepath.Join(dir, "bootstrap"))
	if err != nil {
		return nil, fmt.Errorf("no bootstrap executable in %s (set build: go in %s, or build it first): %w", dir, ProjectFile, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", filepath.Join(dir, "bootstrap"))
	}
	files := []string{"bootstrap"}
	for _, pattern := range include {
		matches, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, fmt.Errorf("include %q: %w", pattern, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("include %q matches nothing in %s", pattern, dir)
		}
		for _, m := range matches {
			err := filepath.WalkDir(m, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, err := filepath.Rel(dir, path)
				if err != nil {
					return err
				}
				if rel = filepath.ToSlash(rel); !slices.Contains(files, rel) {
					files = append(files, rel)
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("include %q: %w", pattern, err)
			}
		}
	}
	slices.Sort(files[1:])
	return files, nil
}

// sourceFiles lists what a managed runtime's (Python, Node.js) package holds, relative to dir:
// every regular file but lambdock.yaml, hidden files and directories, and Python's byte-code
// caches, sorted.
func sourceFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		name := d.Name()
		if strings.HasPrefix(name, ".") || name == "__pycache__" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && rel != ProjectFile && !strings.HasSuffix(name, ".pyc") {
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("package %s: no source files besides %s", dir, ProjectFile)
	}
	slices.Sort(files)
	return files, nil
}

// zipFiles packages files (relative to dir) under their own names (zipEntries).
func zipFiles(dir string, files []string) ([]byte, error) { return zipEntries(entriesIn(dir, files)) }

// zipEntries packages files: bootstrap and executables 0755, the rest 0644. Every file gets the
// same modification time, so the same files give the same zip and the same CodeSha256.
func zipEntries(entries []zipEntry) ([]byte, error) {
	zipTime := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		name, path := e.name, e.path
		info, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", name, err)
		}
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipTime}
		h.SetMode(0o644)
		if name == "bootstrap" || info.Mode()&0o111 != 0 {
			h.SetMode(0o755)
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", name, err)
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", name, err)
		}
		if _, err := f.Write(content); err != nil {
			return nil, fmt.Errorf("package %s: %w", name, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("finish zip: %w", err)
	}
	return buf.Bytes(), nil
}
