// Package depfixture writes dependency packages for tests of vendoring that must not need a
// registry: a pure-Python wheel for pip's --find-links, and an npm package tarball for a
// package.json "file:" dependency.
package depfixture

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Wheel writes <dir>/<name>-<version>-py3-none-any.whl holding files (path → content) with
// their METADATA, WHEEL and RECORD, and returns its path.
func Wheel(dir, name, version string, files map[string]string) (string, error) {
	info := name + "-" + version + ".dist-info/"
	all := maps.Clone(files)
	all[info+"METADATA"] = "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n"
	all[info+"WHEEL"] = "Wheel-Version: 1.0\nGenerator: lambdock-depfixture\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
	var record strings.Builder
	for _, f := range slices.Sorted(maps.Keys(all)) {
		sum := sha256.Sum256([]byte(all[f]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f, base64.RawURLEncoding.EncodeToString(sum[:]), len(all[f]))
	}
	record.WriteString(info + "RECORD,,\n")
	all[info+"RECORD"] = record.String()

	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range slices.Sorted(maps.Keys(all)) {
		fw, err := w.Create(f)
		if err != nil {
			return "", fmt.Errorf("wheel %s: %w", f, err)
		}
		if _, err := fw.Write([]byte(all[f])); err != nil {
			return "", fmt.Errorf("wheel %s: %w", f, err)
		}
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("wheel: %w", err)
	}
	path := filepath.Join(dir, name+"-"+version+"-py3-none-any.whl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("wheel: %w", err)
	}
	return path, nil
}

// Tarball writes an npm package tarball (gzipped tar) of files at path; npm expects them
// under package/ (package/package.json, package/index.js).
func Tarball(path string, files map[string]string) error {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range slices.Sorted(maps.Keys(files)) {
		h := &tar.Header{Name: f, Mode: 0o644, Size: int64(len(files[f])), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("tarball %s: %w", f, err)
		}
		if _, err := tw.Write([]byte(files[f])); err != nil {
			return fmt.Errorf("tarball %s: %w", f, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("tarball: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("tarball: %w", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("tarball: %w", err)
	}
	return nil
}
