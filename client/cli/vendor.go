package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/lambdock/lambdock/internal/lambda/runtimes"
)

// Dependency files of the managed runtimes, and the directory npm installs into.
const (
	RequirementsFile = "requirements.txt"
	PackageJSONFile  = "package.json"
	nodeModules      = "node_modules"
)

// probeTimeout bounds `pip --version`.
const probeTimeout = 30 * time.Second

// zipEntry is one file of a package: its name in the zip and where it is on disk.
type zipEntry struct {
	name string
	path string
}

// managedZip packages a Python or Node.js project: its source files (sourceFiles) and, unless
// the project says vendor: false, the dependencies its requirements.txt or package.json lists,
// installed by pip or npm into a staging directory outside the project (removed afterwards).
// Python packages go to the zip's root, next to the sources (a source file wins over a
// vendored one of the same name); node_modules replaces the project's own.
func managedZip(ctx context.Context, dir string, p *Project, rt runtimes.Runtime, out io.Writer) ([]byte, error) {
	files, err := sourceFiles(dir)
	if err != nil {
		return nil, err
	}
	var stage, under string // vendored tree and its place in the zip
	if p.Vendors() {
		switch rt.Family {
		case runtimes.FamilyPython:
			stage, err = vendorPython(ctx, dir, rt, out)
		case runtimes.FamilyNode:
			stage, err = vendorNode(ctx, dir, files, out)
			under = nodeModules
		}
		if err != nil {
			return nil, err
		}
	}
	if stage == "" {
		return zipEntries(entriesIn(dir, files))
	}
	defer os.RemoveAll(stage)
	vendored, err := treeEntries(filepath.Join(stage, under), under)
	if err != nil {
		return nil, err
	}
	byName := map[string]zipEntry{}
	for _, e := range vendored {
		byName[e.name] = e
	}
	for _, e := range entriesIn(dir, files) {
		if under != "" && strings.HasPrefix(e.name, under+"/") {
			continue // npm's installation replaces the project's node_modules
		}
		byName[e.name] = e
	}
	entries := make([]zipEntry, 0, len(byName))
	for _, e := range byName {
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b zipEntry) int { return strings.Compare(a.name, b.name) })
	return zipEntries(entries)
}

// entriesIn maps files relative to dir to zip entries of the same names.
func entriesIn(dir string, files []string) []zipEntry {
	entries := make([]zipEntry, len(files))
	for i, f := range files {
		entries[i] = zipEntry{name: f, path: filepath.Join(dir, filepath.FromSlash(f))}
	}
	return entries
}

// treeEntries lists the files of an installation tree root as zip entries under prefix
// ("" for the zip's root): regular files and links to them, but not executables' link
// directories (.bin), byte-code caches or .pyc files.
func treeEntries(root, prefix string) ([]zipEntry, error) {
	var entries []zipEntry
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if name == ".bin" || name == "__pycache__" {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".pyc") {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if info, err := os.Stat(path); err != nil || !info.Mode().IsRegular() {
				return nil // a dangling link or one to a directory: not part of the package
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		entries = append(entries, zipEntry{name: pathJoin(prefix, filepath.ToSlash(rel)), path: path})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("package vendored files: %w", err)
	}
	return entries, nil
}

// pathJoin joins zip names.
func pathJoin(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "/" + name
}

// requirements counts the entries of dir/requirements.txt: lines that are not blank or
// comments. No file is 0.
func requirements(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, RequirementsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", RequirementsFile, err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line != "" && !strings.HasPrefix(line, "#") {
			n++
		}
	}
	return n, nil
}

// pip is a way to run pip and the Python version it installs for.
type pip struct {
	command []string // e.g. python3 -m pip
	python  string   // "3.11"
}

// pipVersion finds the Python version in `pip --version` ("pip 23.2.1 from … (python 3.11)").
var pipVersion = regexp.MustCompile(`\(python (\d+\.\d+)\)`)

// findPip tries python<version> -m pip, python3 -m pip, pip3 and pip, in that order.
func findPip(ctx context.Context, version string) (pip, error) {
	candidates := [][]string{{"python" + version, "-m", "pip"}, {"python3", "-m", "pip"}, {"pip3"}, {"pip"}}
	for _, c := range candidates {
		if _, err := exec.LookPath(c[0]); err != nil {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		out, err := exec.CommandContext(pctx, c[0], append(c[1:], "--version")...).Output()
		cancel()
		if m := pipVersion.FindSubmatch(out); err == nil && m != nil {
			return pip{command: c, python: string(m[1])}, nil
		}
	}
	return pip{}, errors.New("found no pip (tried python" + version + " -m pip, python3 -m pip, pip3, pip)")
}

// vendorPython installs requirements.txt's packages into a new staging directory with the
// host's pip and returns it; "" when the file lists nothing. A pip for the runtime's Python
// version on linux/amd64 installs natively (and may build source distributions); any other
// installs for the runtime's version and platform (--python-version, --platform), which only
// takes binary wheels.
func vendorPython(ctx context.Context, dir string, rt runtimes.Runtime, out io.Writer) (_ string, err error) {
	n, err := requirements(dir)
	if err != nil || n == 0 {
		return "", err
	}
	fail := func(why string) error {
		return fmt.Errorf("%s lists %d %s but %s. Vendor them into the project directory yourself "+
			"(pip install -t . -r %s) and set vendor: false in %s, or remove %s",
			RequirementsFile, n, plural(n, "package", "packages"), why, RequirementsFile, ProjectFile, RequirementsFile)
	}
	p, err := findPip(ctx, rt.Language)
	if err != nil {
		return "", fail(err.Error())
	}
	stage, err := os.MkdirTemp("", "lambdock-pip-")
	if err != nil {
		return "", fmt.Errorf("staging directory: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(stage)
		}
	}()
	req, err := filepath.Abs(filepath.Join(dir, RequirementsFile))
	if err != nil {
		return "", fmt.Errorf("locate %s: %w", RequirementsFile, err)
	}
	args := slices.Concat(p.command[1:], []string{"install", "-r", req, "--target", stage, "--no-compile",
		"--disable-pip-version-check", "--quiet"})
	how, cross := "natively", ""
	if p.python != rt.Language || runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		args = append(args, "--python-version", rt.Language, "--implementation", "cp", "--only-binary=:all:")
		// The images are x86_64 Debian 12 or 13 (glibc 2.36, 2.41); pip widens manylinux2014 to
		// manylinux2010 and manylinux1.
		for _, pl := range []string{"manylinux2014_x86_64", "manylinux_2_28_x86_64", "manylinux_2_34_x86_64"} {
			args = append(args, "--platform", pl)
		}
		how = "as binary wheels for Python " + rt.Language + " on manylinux x86_64"
		cross = fmt.Sprintf(" (this pip runs on Python %s, %s/%s: for Python %s on linux/amd64 it takes binary wheels only)",
			p.python, runtime.GOOS, runtime.GOARCH, rt.Language)
	}
	fmt.Fprintf(out, "Vendoring %d %s from %s with %s (Python %s), %s...\n",
		n, plural(n, "package", "packages"), RequirementsFile, strings.Join(p.command, " "), p.python, how)
	cmd := exec.CommandContext(ctx, p.command[0], args...)
	cmd.Dir = dir
	output, err := cmd.CombinedOutput()
	if err != nil {
		return "", fail("pip could not install them" + registryHint(output) + ": " + pipError(output, err) + cross)
	}
	return stage, nil
}

// pipError is the line of pip's output that says what went wrong: its last ERROR line, else its
// last line, else err.
func pipError(output []byte, err error) string {
	lines := nonEmptyLines(output)
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "ERROR:") {
			return lines[i]
		}
	}
	if len(lines) > 0 {
		return lines[len(lines)-1]
	}
	return err.Error()
}

// dependencies counts package.json's dependencies (not devDependencies). No file is 0.
func dependencies(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, PackageJSONFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", PackageJSONFile, err)
	}
	var pkg struct {
		Dependencies map[string]any `json:"dependencies"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return 0, fmt.Errorf("parse %s: %w", filepath.Join(dir, PackageJSONFile), err)
	}
	return len(pkg.Dependencies), nil
}

// vendorNode installs package.json's dependencies with npm (without devDependencies) in a
// staging copy of the project (files, plus .npmrc and package-lock.json) and returns the copy;
// "" when package.json lists none. References of package.json and the lock file to local
// packages out of the project ("file:../shared") are rebased to the copy (rebaseNpmFiles).
// --install-links installs local (file:) directories as copies, not links.
func vendorNode(ctx context.Context, dir string, files []string, out io.Writer) (_ string, err error) {
	n, err := dependencies(dir)
	if err != nil || n == 0 {
		return "", err
	}
	fail := func(why string) error {
		return fmt.Errorf("%s has %d %s but %s. Install them into the project directory yourself "+
			"(npm install --omit=dev) and set vendor: false in %s, or remove them from %s",
			PackageJSONFile, n, plural(n, "dependency", "dependencies"), why, ProjectFile, PackageJSONFile)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fail("npm is not installed")
	}
	stage, err := os.MkdirTemp("", "lambdock-npm-")
	if err != nil {
		return "", fmt.Errorf("staging directory: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(stage)
		}
	}()
	copies := slices.DeleteFunc(slices.Clone(files), func(f string) bool { return strings.HasPrefix(f, nodeModules+"/") })
	for _, f := range []string{".npmrc", npmLockFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil && !slices.Contains(copies, f) {
			copies = append(copies, f)
		}
	}
	if err := copyFiles(dir, stage, copies); err != nil {
		return "", err
	}
	if err := rebaseNpmFiles(dir, stage); err != nil {
		return "", err
	}
	fmt.Fprintf(out, "Vendoring %d %s from %s with npm install --omit=dev...\n", n, plural(n, "dependency", "dependencies"), PackageJSONFile)
	cmd := exec.CommandContext(ctx, npm, "install", "--omit=dev", "--no-audit", "--no-fund", "--install-links")
	cmd.Dir = stage
	output, err := cmd.CombinedOutput()
	if err != nil {
		return "", fail("npm could not install them" + registryHint(output) + ": " + npmError(output, err))
	}
	return stage, nil
}

// npmError is the line of npm's output that says what went wrong: the first error line that is
// not a field of the error (code, errno, syscall), a stack frame or the log file's location.
func npmError(output []byte, err error) string {
	var fallback string
	for _, line := range nonEmptyLines(output) {
		msg, ok := strings.CutPrefix(line, "npm error ")
		if !ok {
			msg, ok = strings.CutPrefix(line, "npm ERR! ")
		}
		if !ok {
			continue
		}
		fallback = line
		field, _, _ := strings.Cut(msg, " ")
		switch {
		case strings.HasPrefix(msg, " "), strings.HasPrefix(msg, "A complete log"),
			field == "code", field == "errno", field == "syscall", field == "}":
			continue
		}
		return line
	}
	if fallback != "" {
		return fallback
	}
	return err.Error()
}

// registryHint is " (no registry reachable?)" when a tool's output shows a failed connection, or
// that pip found no version at all.
func registryHint(output []byte) string {
	for _, sign := range []string{"NewConnectionError", "Connection refused", "Max retries exceeded",
		"Temporary failure in name resolution", "Network is unreachable", "ConnectTimeout", "ProxyError",
		"ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "EAI_AGAIN", "ENETUNREACH", "ECONNRESET",
		"(from versions: none)"} { // pip without retries says only that it found no version
		if bytes.Contains(output, []byte(sign)) {
			return " (no registry reachable?)"
		}
	}
	return ""
}

// nonEmptyLines splits output into trimmed-right, non-blank lines.
func nonEmptyLines(output []byte) []string {
	var lines []string
	for line := range strings.SplitSeq(string(output), "\n") {
		if line = strings.TrimRight(line, " \r\t"); strings.TrimSpace(line) != "" {
			lines = append(lines, line)
		}
	}
	return lines
}

// copyFiles copies files (relative to from) into to, keeping their modes.
func copyFiles(from, to string, files []string) error {
	for _, f := range files {
		src, dst := filepath.Join(from, filepath.FromSlash(f)), filepath.Join(to, filepath.FromSlash(f))
		info, err := os.Stat(src)
		if err != nil {
			return fmt.Errorf("stage %s: %w", f, err)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("stage %s: %w", f, err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("stage %s: %w", f, err)
		}
		if err := os.WriteFile(dst, b, info.Mode().Perm()); err != nil {
			return fmt.Errorf("stage %s: %w", f, err)
		}
	}
	return nil
}

// plural picks the singular or plural word for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
