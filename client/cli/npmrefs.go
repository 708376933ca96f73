package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// npm installs the dependencies in a staging copy of the project (vendorNode), but package.json
// and package-lock.json name local packages by paths relative to the project: "file:../shared"
// in a monorepo, "../lib.tgz". Those that lead out of the project would point elsewhere from the
// copy, so the copy's package.json and package-lock.json get them rebased: relative to the
// staging directory, to the same files. References inside the project stay: the copy has them.

// npmLockFile is npm's lock file, staged with package.json.
const npmLockFile = "package-lock.json"

// npmDependencyFields are the fields of package.json (and of the root entry of a lock file)
// that map package names to specs.
var npmDependencyFields = []string{"dependencies", "devDependencies", "optionalDependencies", "peerDependencies"}

// npmRebaser rebases references relative to the project dir to the staging directory stage.
type npmRebaser struct {
	dir, stage string // absolute
}

// path rebases a relative slash path that leads out of the project ("../shared"); ok is false
// for any other path (absolute, home-relative, inside the project), which stays as it is.
func (r npmRebaser) path(p string) (string, bool) {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~") || filepath.IsAbs(p) {
		return p, false
	}
	if c := path.Clean(p); c != ".." && !strings.HasPrefix(c, "../") {
		return p, false
	}
	rel, err := filepath.Rel(r.stage, filepath.Join(r.dir, filepath.FromSlash(p)))
	if err != nil {
		return p, false
	}
	return filepath.ToSlash(rel), true
}

// spec rebases a dependency spec or a lock file's "resolved"/"version": "file:REL", "link:REL",
// or a bare "../REL" (npm reads a spec starting with ./ or ../ as a path).
func (r npmRebaser) spec(s string) string {
	for _, prefix := range []string{"file:", "link:"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			if p, ok := r.path(rest); ok {
				return prefix + p
			}
			return s
		}
	}
	if strings.HasPrefix(s, "../") {
		if p, ok := r.path(s); ok {
			return p
		}
	}
	return s
}

// specs rebases the specs of package.json's (or a lock root's) dependency fields in m.
func (r npmRebaser) specs(m map[string]any) {
	for _, field := range npmDependencyFields {
		deps, _ := m[field].(map[string]any)
		for name, v := range deps {
			if s, ok := v.(string); ok {
				deps[name] = r.spec(s)
			}
		}
	}
}

// lock rebases a package-lock.json (lockfileVersion 1, 2 or 3): the keys of "packages" that are
// paths out of the project (link targets), their "resolved" and the root's specs; and the
// "version"/"resolved" of lockfileVersion 1's nested "dependencies".
func (r npmRebaser) lock(m map[string]any) {
	if pkgs, ok := m["packages"].(map[string]any); ok {
		rebased := make(map[string]any, len(pkgs))
		for key, v := range pkgs {
			entry, _ := v.(map[string]any)
			if entry != nil {
				if key == "" {
					r.specs(entry)
				}
				if s, ok := entry["resolved"].(string); ok {
					entry["resolved"] = r.spec(s)
				}
			}
			if p, ok := r.path(key); ok {
				key = p
			}
			rebased[key] = v
		}
		m["packages"] = rebased
	}
	r.v1Dependencies(m)
}

// v1Dependencies rebases lockfileVersion 1's "dependencies" tree under m.
func (r npmRebaser) v1Dependencies(m map[string]any) {
	deps, _ := m["dependencies"].(map[string]any)
	for _, v := range deps {
		entry, ok := v.(map[string]any)
		if !ok {
			continue
		}
		for _, field := range []string{"version", "resolved"} {
			if s, ok := entry[field].(string); ok {
				entry[field] = r.spec(s)
			}
		}
		r.v1Dependencies(entry)
	}
}

// rebaseNpmFiles rewrites the staged package.json and package-lock.json (if any) in stage so
// that their references out of the project dir reach the same files from stage.
func rebaseNpmFiles(dir, stage string) error {
	var err error
	r := npmRebaser{}
	if r.dir, err = filepath.Abs(dir); err != nil {
		return fmt.Errorf("locate %s: %w", dir, err)
	}
	if r.stage, err = filepath.Abs(stage); err != nil {
		return fmt.Errorf("locate %s: %w", stage, err)
	}
	for file, rebase := range map[string]func(map[string]any){PackageJSONFile: r.specs, npmLockFile: r.lock} {
		if err := rewriteJSON(filepath.Join(stage, file), rebase); err != nil {
			return err
		}
	}
	return nil
}

// rewriteJSON applies edit to the JSON object in file, if the file exists, and writes it back
// (numbers as they were).
func rewriteJSON(file string, edit func(map[string]any)) error {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stage %s: %w", filepath.Base(file), err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("parse %s: %w", filepath.Base(file), err)
	}
	edit(m)
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("stage %s: %w", filepath.Base(file), err)
	}
	if err := os.WriteFile(file, append(out, '\n'), 0o644); err != nil {
		return fmt.Errorf("stage %s: %w", filepath.Base(file), err)
	}
	return nil
}
