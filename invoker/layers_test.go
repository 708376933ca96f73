package invoker

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/invoker/codecache"
)

// zipFetcher serves zips by hash and counts the fetches.
type zipFetcher struct {
	zips  map[string][]byte
	calls atomic.Int32
}

func (f *zipFetcher) FetchCode(_ context.Context, sha string) ([]byte, error) {
	f.calls.Add(1)
	b, ok := f.zips[sha]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return b, nil
}

// layerZip zips files (path → content); a content starting with "->" makes a symlink to the rest.
func layerZip(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, body := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o644)
		if target, ok := bytes.CutPrefix([]byte(body), []byte("->")); ok {
			h.SetMode(fs.ModeSymlink | 0o777)
			body = string(target)
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestOptTreesMergeInOrder checks /opt's tree for lists of layers: later layers replace earlier
// files (also a directory by a file and back), files are links into the code cache, each
// ordered list is merged once, one layer is mounted as extracted, and the cache's own trees are
// left as they were.
func TestOptTreesMergeInOrder(t *testing.T) {
	f := &zipFetcher{zips: map[string][]byte{}}
	layer := func(name string, files map[string]string) function.Layer {
		b := layerZip(t, files)
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])
		f.zips[h] = b
		return function.Layer{ARN: "arn:aws:lambda:us-east-1:000000000000:layer:" + name + ":1", CodeSHA256: h}
	}
	l1 := layer("one", map[string]string{"bin/tool": "one", "shared.txt": "l1", "swap/x": "x", "python/a.py": "a"})
	l2 := layer("two", map[string]string{"shared.txt": "l2", "swap": "now a file", "python/b.py": "b"})
	l3 := layer("three", map[string]string{"link": "->shared.txt", "bin/tool": "three"})

	data := t.TempDir()
	code, err := codecache.New(filepath.Join(data, "code"), f, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(data, "opt", optTmpPrefix+"old")
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	o, err := newOptTrees(filepath.Join(data, "opt"), code, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary tree kept: %v", err)
	}
	ctx := context.Background()

	type want struct {
		files map[string]string // path → content ("" for a directory)
		link  map[string]string // path → symlink target
	}
	steps := []struct {
		name   string
		layers []function.Layer
		want   want
	}{
		{"one then two", []function.Layer{l1, l2}, want{files: map[string]string{
			"bin/tool": "one", "shared.txt": "l2", "swap": "now a file", "python/a.py": "a", "python/b.py": "b"}}},
		{"two then one", []function.Layer{l2, l1}, want{files: map[string]string{
			"bin/tool": "one", "shared.txt": "l1", "swap": "", "swap/x": "x", "python/b.py": "b"}}},
		{"one, two, three", []function.Layer{l1, l2, l3}, want{
			files: map[string]string{"bin/tool": "three", "shared.txt": "l2", "swap": "now a file"},
			link:  map[string]string{"link": "shared.txt"}}},
	}
	dirs := map[string]bool{}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			dir, err := o.Dir(ctx, s.layers)
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Dir(dir) != filepath.Join(data, "opt") || dirs[dir] {
				t.Errorf("dir %s: want a new tree under DataDir/opt", dir)
			}
			dirs[dir] = true
			for p, content := range s.want.files {
				fi, err := os.Lstat(filepath.Join(dir, p))
				switch {
				case err != nil:
					t.Errorf("%s: %v", p, err)
				case content == "" && !fi.IsDir():
					t.Errorf("%s is %v, want a directory", p, fi.Mode())
				case content != "":
					if b, err := os.ReadFile(filepath.Join(dir, p)); err != nil || string(b) != content || !fi.Mode().IsRegular() {
						t.Errorf("%s = %q (%v), %v; want %q", p, b, fi.Mode(), err, content)
					}
				}
			}
			for p, target := range s.want.link {
				if got, err := os.Readlink(filepath.Join(dir, p)); err != nil || got != target {
					t.Errorf("%s -> %q, %v; want %q", p, got, err, target)
				}
			}
			if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o755 {
				t.Errorf("tree mode %v, %v; want 0755", fi.Mode(), err)
			}
		})
	}

	// The same list again: the same tree, nothing fetched.
	calls := f.calls.Load()
	again, err := o.Dir(ctx, []function.Layer{l1, l2})
	if err != nil || !dirs[again] || f.calls.Load() != calls {
		t.Errorf("second Dir = %s, %v, fetches %d → %d", again, err, calls, f.calls.Load())
	}
	// Files are links to the code cache's; the cache's trees are unchanged by the merges.
	one, err := code.Dir(ctx, l1.CodeSHA256)
	if err != nil {
		t.Fatal(err)
	}
	a, errA := os.Stat(filepath.Join(again, "python/a.py"))
	b, errB := os.Stat(filepath.Join(one, "python/a.py"))
	if errA != nil || errB != nil || !os.SameFile(a, b) {
		t.Errorf("python/a.py is not a link to the code cache's: %v %v", errA, errB)
	}
	if got, err := os.ReadFile(filepath.Join(one, "shared.txt")); err != nil || string(got) != "l1" {
		t.Errorf("code cache's shared.txt = %q, %v; want l1", got, err)
	}
	// One layer: its extracted tree itself; none: no /opt.
	if dir, err := o.Dir(ctx, []function.Layer{l1}); err != nil || dir != one {
		t.Errorf("one layer: %s, %v; want %s", dir, err, one)
	}
	if dir, err := o.Dir(ctx, nil); err != nil || dir != "" {
		t.Errorf("no layers: %q, %v", dir, err)
	}
	if _, err := o.Dir(ctx, []function.Layer{{ARN: "x", CodeSHA256: hex.EncodeToString(make([]byte, 32))}}); err == nil {
		t.Errorf("a layer whose code is missing gave no error")
	}
}

// BenchmarkOptTreesMerge merges two layers of 1,000 files each (in 10 directories) into a new
// tree per iteration: the cost of a function's first cold start with that list of layers.
func BenchmarkOptTreesMerge(b *testing.B) {
	f := &zipFetcher{zips: map[string][]byte{}}
	var layers []function.Layer
	for l := range 2 {
		files := map[string]string{}
		for i := range 1000 {
			files[filepath.Join("python", "pkg"+string(rune('a'+i%10)), "m"+hex.EncodeToString([]byte{byte(i >> 8), byte(i)})+".py")] = "x"
		}
		files["marker"] = string(rune('a' + l))
		zb := layerZip(b, files)
		sum := sha256.Sum256(zb)
		h := hex.EncodeToString(sum[:])
		f.zips[h] = zb
		layers = append(layers, function.Layer{CodeSHA256: h})
	}
	data := b.TempDir()
	code, err := codecache.New(filepath.Join(data, "code"), f, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, l := range layers { // extraction is the code cache's, once per hash: not measured
		if _, err := code.Dir(ctx, l.CodeSHA256); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		o, err := newOptTrees(filepath.Join(data, "opt", strconv.Itoa(i)), code, zap.NewNop())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := o.Dir(ctx, layers); err != nil {
			b.Fatal(err)
		}
	}
}
