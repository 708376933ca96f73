package codecache

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// MaxUnzippedBytes is Lambda's limit on the unzipped size of a deployment package (250 MB).
const MaxUnzippedBytes = 262_144_000

// maxLinkTarget bounds the length of a symlink target read from a zip.
const maxLinkTarget = 4096

// Modes of extracted entries: readable by the container's non-root user, writable by nobody there.
const (
	dirMode  fs.FileMode = 0o755
	fileMode fs.FileMode = 0o644
	execMode fs.FileMode = 0o755
)

// invalidZip is the refusal of a zip the invoker will not run.
func invalidZip(format string, args ...any) *lambdaerr.APIError {
	return lambdaerr.New(http.StatusBadGateway, lambdaerr.CodeInvalidZipFile,
		"Lambda was unable to unzip the deployment package: "+format, args...)
}

// link is a symlink entry, created after every file and directory.
type link struct{ name, target string }

// Extract writes the tree of the zip in data into dir, which must exist and be empty; dir gets
// mode 0755. A refused zip gives a *lambdaerr.APIError (InvalidZipFileException); dir may then
// hold part of the tree and should be removed by the caller.
//
// Regular files and directories are written first, while the tree holds no symlink, and never
// through one; symlinks come last, are never followed while they are created, and must each
// resolve inside the finished tree.
func Extract(data []byte, dir string) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // names are checked below either way
		return invalidZip("not a zip file: %v", err)
	}
	var declared uint64
	for _, f := range zr.File {
		declared += f.UncompressedSize64
	}
	if declared > MaxUnzippedBytes {
		return invalidZip("unzipped size %d bytes exceeds the limit of %d bytes", declared, MaxUnzippedBytes)
	}
	if err := os.Chmod(dir, dirMode); err != nil {
		return fmt.Errorf("codecache: chmod %s: %w", dir, err)
	}

	budget := int64(MaxUnzippedBytes)
	var links []link
	for _, f := range zr.File {
		name, err := entryName(f.Name)
		if err != nil {
			return err
		}
		if name == "." {
			continue
		}
		mode := f.Mode()
		switch {
		case mode.IsDir():
			err = mkdirs(dir, name)
		case mode&fs.ModeSymlink != 0:
			var target string
			target, err = readLink(f)
			links = append(links, link{name, target})
		case mode.IsRegular():
			err = writeFile(dir, name, f, &budget)
		default:
			err = invalidZip("entry %q has unsupported type %v", f.Name, mode.Type())
		}
		if err != nil {
			return err
		}
	}
	for _, l := range links {
		if err := writeLink(dir, l); err != nil {
			return err
		}
	}
	for _, l := range links {
		if err := checkInside(dir, l.name); err != nil {
			return err
		}
	}
	return nil
}

// entryName validates a zip entry name and returns it cleaned, with "/" separators.
func entryName(raw string) (string, error) {
	if raw == "" || strings.ContainsRune(raw, 0) {
		return "", invalidZip("entry with an empty or invalid name")
	}
	if strings.HasPrefix(raw, "/") {
		return "", invalidZip("entry %q has an absolute path", raw)
	}
	for _, part := range strings.Split(raw, "/") {
		if part == ".." {
			return "", invalidZip("entry %q escapes the package (path traversal)", raw)
		}
	}
	return path.Clean(raw), nil
}

// mkdirs creates the directory name (and its parents) under root one component at a time,
// refusing to pass through anything that is not a real directory, such as a symlink.
func mkdirs(root, name string) error {
	p := root
	for _, part := range strings.Split(name, "/") {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(p, dirMode); err != nil {
				return fmt.Errorf("codecache: mkdir %s: %w", p, err)
			}
			if err := os.Chmod(p, dirMode); err != nil { // Mkdir is subject to the umask
				return fmt.Errorf("codecache: chmod %s: %w", p, err)
			}
		case err != nil:
			return fmt.Errorf("codecache: stat %s: %w", p, err)
		case !fi.IsDir():
			return invalidZip("entry %q passes through %q, which is not a directory", name, part)
		}
	}
	return nil
}

// writeFile writes one regular file, charging its bytes to *budget.
func writeFile(root, name string, f *zip.File, budget *int64) error {
	if parent := path.Dir(name); parent != "." {
		if err := mkdirs(root, parent); err != nil {
			return err
		}
	}
	mode := fileMode
	if f.Mode()&0o111 != 0 || name == "bootstrap" {
		mode = execMode
	}
	rc, err := f.Open()
	if err != nil {
		return invalidZip("entry %q: %v", f.Name, err)
	}
	defer rc.Close()
	p := filepath.Join(root, name)
	out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, mode)
	if err != nil {
		return invalidZip("entry %q cannot be written: %v", f.Name, err)
	}
	n, copyErr := io.Copy(out, io.LimitReader(rc, *budget+1))
	*budget -= n
	chmodErr := out.Chmod(mode) // OpenFile is subject to the umask
	closeErr := out.Close()
	switch {
	case *budget < 0:
		return invalidZip("unzipped size exceeds the limit of %d bytes", MaxUnzippedBytes)
	case errors.Is(copyErr, zip.ErrChecksum), errors.Is(copyErr, zip.ErrFormat),
		errors.Is(copyErr, io.ErrUnexpectedEOF):
		return invalidZip("entry %q: %v", f.Name, copyErr)
	case copyErr != nil:
		return fmt.Errorf("codecache: write %s: %w", p, copyErr)
	case chmodErr != nil:
		return fmt.Errorf("codecache: chmod %s: %w", p, chmodErr)
	case closeErr != nil:
		return fmt.Errorf("codecache: close %s: %w", p, closeErr)
	}
	return nil
}

// readLink reads a symlink entry's target.
func readLink(f *zip.File) (string, error) {
	rc, err := f.Open()
	if err != nil {
		return "", invalidZip("entry %q: %v", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxLinkTarget+1))
	if err != nil {
		return "", invalidZip("entry %q: %v", f.Name, err)
	}
	if len(b) == 0 || len(b) > maxLinkTarget || bytes.IndexByte(b, 0) >= 0 {
		return "", invalidZip("symlink %q has an invalid target", f.Name)
	}
	return string(b), nil
}

// writeLink creates one symlink; its parent directories must be real directories.
func writeLink(root string, l link) error {
	if path.IsAbs(l.target) {
		return invalidZip("symlink %q points outside the package (%q)", l.name, l.target)
	}
	if parent := path.Dir(l.name); parent != "." {
		if err := mkdirs(root, parent); err != nil {
			return err
		}
	}
	if err := os.Symlink(l.target, filepath.Join(root, l.name)); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return invalidZip("symlink %q duplicates another entry", l.name)
		}
		return fmt.Errorf("codecache: symlink %s: %w", l.name, err)
	}
	return nil
}
