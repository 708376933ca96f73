package codecache

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// entry is one zip entry built by a test.
type entry struct {
	name string
	body string
	mode fs.FileMode // 0 means 0644 regular file; include fs.ModeSymlink / fs.ModeDir / fs.ModeNamedPipe
}

// buildZip makes a zip of entries.
func buildZip(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zerosZip makes a zip with one file of n zero bytes whose header declares declared bytes.
func zerosZip(t testing.TB, n, declared uint64) []byte {
	t.Helper()
	var data bytes.Buffer
	fw, err := flate.NewWriter(&data, flate.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	crc := crc32.NewIEEE()
	zeros := make([]byte, 1<<20)
	for left := n; left > 0; {
		chunk := zeros[:min(left, uint64(len(zeros)))]
		_, _ = fw.Write(chunk)
		_, _ = crc.Write(chunk)
		left -= uint64(len(chunk))
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "big.bin", Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(data.Len()), UncompressedSize64: declared}
	w, err := zw.CreateRaw(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// corruptZip makes a zip whose one file's CRC does not match its content.
func corruptZip(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "f", Method: zip.Store, CRC32: 12345,
		CompressedSize64: 5, UncompressedSize64: 5})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("hello"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExtractRefuses(t *testing.T) {
	tests := []struct {
		name string
		zip  func(t *testing.T) []byte
		want string // in the refusal message
	}{
		{"not a zip", func(t *testing.T) []byte { return []byte("this is not a zip") }, "not a zip file"},
		{"empty input", func(t *testing.T) []byte { return nil }, "not a zip file"},
		{"dot-dot entry", func(t *testing.T) []byte { return buildZip(t, entry{name: "../evil", body: "x"}) }, "path traversal"},
		{"dot-dot inside the path", func(t *testing.T) []byte {
			return buildZip(t, entry{name: "a/../../evil", body: "x"})
		}, "path traversal"},
		{"absolute path", func(t *testing.T) []byte { return buildZip(t, entry{name: "/etc/evil", body: "x"}) }, "absolute path"},
		{"symlink to an absolute path", func(t *testing.T) []byte {
			return buildZip(t, entry{name: "passwd", body: "/etc/passwd", mode: fs.ModeSymlink | 0o777})
		}, "points outside"},
		{"symlink above the root", func(t *testing.T) []byte {
			return buildZip(t, entry{name: "lib/up", body: "../..", mode: fs.ModeSymlink | 0o777})
		}, "points outside"},
		{"symlink that escapes through another symlink", func(t *testing.T) []byte {
			return buildZip(t,
				entry{name: "a", body: "b/..", mode: fs.ModeSymlink | 0o777},
				entry{name: "b", body: ".", mode: fs.ModeSymlink | 0o777})
		}, "points outside"},
		{"file written below an escaping symlink", func(t *testing.T) []byte {
			return buildZip(t,
				entry{name: "d", body: "../outside", mode: fs.ModeSymlink | 0o777},
				entry{name: "d/x", body: "x"})
		}, "duplicates another entry"},
		{"symlink created below another symlink", func(t *testing.T) []byte {
			return buildZip(t,
				entry{name: "d", body: "sub", mode: fs.ModeSymlink | 0o777},
				entry{name: "d/x", body: "y", mode: fs.ModeSymlink | 0o777})
		}, "not a directory"},
		{"symlink loop", func(t *testing.T) []byte {
			return buildZip(t,
				entry{name: "a", body: "b", mode: fs.ModeSymlink | 0o777},
				entry{name: "b", body: "a", mode: fs.ModeSymlink | 0o777})
		}, "too many levels"},
		{"named pipe", func(t *testing.T) []byte {
			return buildZip(t, entry{name: "fifo", mode: fs.ModeNamedPipe | 0o644})
		}, "unsupported type"},
		{"checksum mismatch", func(t *testing.T) []byte { return corruptZip(t) }, "checksum error"},
		{"more than 250 MB unzipped", func(t *testing.T) []byte {
			return zerosZip(t, MaxUnzippedBytes+1, MaxUnzippedBytes+1)
		}, "exceeds the limit"},
		{"header understates the size", func(t *testing.T) []byte { return zerosZip(t, 1<<20, 10) }, "not a valid zip"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			dir := filepath.Join(base, "tree")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			err := Extract(tc.zip(t), dir)
			var apiErr *lambdaerr.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("Extract = %v, want an APIError", err)
			}
			if apiErr.Code != lambdaerr.CodeInvalidZipFile || apiErr.Status != 502 {
				t.Errorf("got %d %s, want 502 %s", apiErr.Status, apiErr.Code, lambdaerr.CodeInvalidZipFile)
			}
			if !strings.Contains(apiErr.Message, tc.want) {
				t.Errorf("message %q does not say %q", apiErr.Message, tc.want)
			}
			if _, err := os.Lstat(filepath.Join(base, "outside")); err == nil {
				t.Errorf("something was written outside the tree")
			}
		})
	}
}

func TestExtractModesAndLinks(t *testing.T) {
	data := buildZip(t,
		entry{name: "bootstrap", body: "#!/bin/sh\n", mode: 0o644},
		entry{name: "bin/tool", body: "x", mode: 0o700},
		entry{name: "secret.txt", body: "x", mode: 0o600},
		entry{name: "empty/", mode: fs.ModeDir | 0o700},
		entry{name: "node_modules/pkg/cli.js", body: "x", mode: 0o755},
		entry{name: "node_modules/.bin/cli", body: "../pkg/cli.js", mode: fs.ModeSymlink | 0o777},
		entry{name: "dangling", body: "not/there", mode: fs.ModeSymlink | 0o777},
	)
	dir := t.TempDir()
	if err := Extract(data, dir); err != nil {
		t.Fatalf("Extract: %v", err)
	}
	wantModes := []struct {
		name string
		mode fs.FileMode
	}{
		{".", fs.ModeDir | 0o755},
		{"bootstrap", 0o755},
		{"bin", fs.ModeDir | 0o755},
		{"bin/tool", 0o755},
		{"secret.txt", 0o644},
		{"empty", fs.ModeDir | 0o755},
		{"node_modules/.bin", fs.ModeDir | 0o755},
		{"node_modules/pkg/cli.js", 0o755},
	}
	for _, w := range wantModes {
		fi, err := os.Lstat(filepath.Join(dir, w.name))
		if err != nil {
			t.Errorf("%s: %v", w.name, err)
			continue
		}
		if fi.Mode() != w.mode {
			t.Errorf("%s: mode %v, want %v", w.name, fi.Mode(), w.mode)
		}
	}
	target, err := os.Readlink(filepath.Join(dir, "node_modules/.bin/cli"))
	if err != nil || target != "../pkg/cli.js" {
		t.Errorf("symlink = %q, %v", target, err)
	}
}
