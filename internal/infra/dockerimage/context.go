package dockerimage

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Context is a build context: the files of a project directory that the Docker daemon builds
// from. BuildContext lists and hashes them; Open streams their tar, reading each file as it
// goes, so a large context is never held in memory.
type Context struct {
	// Hash is the hex SHA-256 of the files' paths, modes and contents (not their times): two
	// directories with the same files have the same Hash.
	Hash string
	// Files is the number of regular files in the context.
	Files int

	entries []contextEntry // in a stable order
}

// contextEntry is one path of the context: where it is and its name in the tar.
type contextEntry struct {
	path, rel string
}

// ignoreFile is Docker's list of paths left out of the build context.
const ignoreFile = ".dockerignore"

// BuildContext lists and hashes dir for a build, leaving out what dir/.dockerignore names. Its
// patterns are Docker's simple ones: one path.Match glob per line, relative to dir, matching
// a file or a directory (and so everything in it); "#" starts a comment; a pattern starting
// with "!" takes matching paths back in; the last matching pattern decides. "**" is not
// supported. The Dockerfile and .dockerignore are always included, as Docker does.
func BuildContext(dir string) (*Context, error) {
	rules, err := readIgnore(filepath.Join(dir, ignoreFile))
	if err != nil {
		return nil, err
	}
	bc := &Context{}
	sum := sha256.New()
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rules.excluded(rel) {
			if d.IsDir() && !rules.hasExceptions() {
				return filepath.SkipDir // nothing inside can be taken back in
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := entryHeader(p, rel, info)
		if err != nil || hdr == nil {
			return err
		}
		fmt.Fprintf(sum, "%s\x00%o\x00%s\x00", hdr.Name, info.Mode(), hdr.Linkname)
		if info.Mode().IsRegular() {
			if err := copyFile(sum, p); err != nil {
				return err
			}
			bc.Files++
		}
		bc.entries = append(bc.entries, contextEntry{path: p, rel: rel})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dockerimage: build context of %s: %w", dir, err)
	}
	bc.Hash = hex.EncodeToString(sum.Sum(nil))
	return bc, nil
}

// Open streams the context's tar: it is written as it is read. Close stops the writing; a
// failure to read a file is the reader's error.
func (c *Context) Open() io.ReadCloser {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(c.WriteTar(pw)) }()
	return pr
}

// WriteTar writes the context's tar to w, reading the files now.
func (c *Context) WriteTar(w io.Writer) error {
	tw := tar.NewWriter(w)
	for _, e := range c.entries {
		info, err := os.Lstat(e.path)
		if err != nil {
			return fmt.Errorf("dockerimage: build context: %w", err)
		}
		hdr, err := entryHeader(e.path, e.rel, info)
		if err != nil {
			return fmt.Errorf("dockerimage: build context: %w", err)
		}
		if hdr == nil {
			continue // no longer a file, directory or link
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("dockerimage: build context: %w", err)
		}
		if info.Mode().IsRegular() {
			if err := copyFile(tw, e.path); err != nil {
				return fmt.Errorf("dockerimage: build context: %s: %w", e.rel, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("dockerimage: build context: %w", err)
	}
	return nil
}

// entryHeader is the tar header of one entry (a directory, a regular file or a symlink), owned
// by root; nil for other kinds (sockets, devices), which the context leaves out.
func entryHeader(p, rel string, info fs.FileInfo) (*tar.Header, error) {
	link := ""
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		var err error
		if link, err = os.Readlink(p); err != nil {
			return nil, err
		}
	case info.IsDir(), info.Mode().IsRegular():
	default:
		return nil, nil
	}
	hdr, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return nil, err
	}
	hdr.Name = rel
	if info.IsDir() {
		hdr.Name += "/"
	}
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", "" // files belong to root in the image
	return hdr, nil
}

// copyFile copies the file p to w.
func copyFile(w io.Writer, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// ignoreRule is one line of .dockerignore.
type ignoreRule struct {
	pattern string
	include bool // "!pattern"
}

// ignoreRules are a .dockerignore's lines in order.
type ignoreRules []ignoreRule

// readIgnore reads a .dockerignore; a missing file ignores nothing.
func readIgnore(file string) (ignoreRules, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dockerimage: %w", err)
	}
	var rules ignoreRules
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		r := ignoreRule{}
		if r.include = strings.HasPrefix(text, "!"); r.include {
			text = strings.TrimSpace(text[1:])
		}
		r.pattern = path.Clean(strings.TrimPrefix(filepath.ToSlash(text), "/"))
		if strings.Contains(r.pattern, "**") {
			return nil, fmt.Errorf("dockerimage: %s line %d: ** patterns are not supported", file, line)
		}
		if _, err := path.Match(r.pattern, ""); err != nil {
			return nil, fmt.Errorf("dockerimage: %s line %d: %w", file, line, err)
		}
		rules = append(rules, r)
	}
	return rules, sc.Err()
}

// excluded reports whether the context leaves rel (slash-separated, relative to the project)
// out: the last pattern that matches rel or one of its parent directories decides.
func (rules ignoreRules) excluded(rel string) bool {
	if rel == "Dockerfile" || rel == ignoreFile {
		return false
	}
	out := false
	for _, r := range rules {
		if matchesPathOrParent(r.pattern, rel) {
			out = !r.include
		}
	}
	return out
}

// hasExceptions reports whether a "!" pattern may take back files of an excluded directory.
func (rules ignoreRules) hasExceptions() bool {
	return slices.ContainsFunc(rules, func(r ignoreRule) bool { return r.include })
}

// matchesPathOrParent reports whether pattern matches rel or a directory above it.
func matchesPathOrParent(pattern, rel string) bool {
	parts := strings.Split(rel, "/")
	for i := range parts {
		if ok, _ := path.Match(pattern, strings.Join(parts[:i+1], "/")); ok {
			return true
		}
	}
	return false
}
