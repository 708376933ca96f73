package cli_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/internal/testsupport/testtree"
)

// unzip returns the archive's files: name → mode and name → content.
func unzip(t *testing.T, b []byte) (map[string]os.FileMode, map[string]string) {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	modes, contents := map[string]os.FileMode{}, map[string]string{}
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		c, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		modes[f.Name], contents[f.Name] = f.Mode().Perm(), string(c)
	}
	return modes, contents
}

// TestBuildZipPrebuilt packages a prebuilt bootstrap plus include files, deterministically.
func TestBuildZipPrebuilt(t *testing.T) {
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{
		"lambdock.yaml":   "name: pre\nbuild: none\ninclude: [config.json, lib]\n",
		"bootstrap":       "#!/bin/sh\n", // not executable on disk: the zip makes it 0755 anyway
		"config.json":     "{}",
		"lib/helper*":     "#!/bin/sh\n",
		"lib/data.txt":    "data",
		"not-included.go": "package x",
	})
	ctx := context.Background()
	b, err := cli.BuildZip(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	modes, contents := unzip(t, b)
	want := map[string]os.FileMode{"bootstrap": 0o755, "config.json": 0o644, "lib/helper": 0o755, "lib/data.txt": 0o644}
	if len(modes) != len(want) {
		t.Errorf("zip has %v, want %v", modes, want)
	}
	for name, mode := range want {
		if modes[name] != mode {
			t.Errorf("%s: mode %v, want %v", name, modes[name], mode)
		}
	}
	if contents["bootstrap"] != "#!/bin/sh\n" {
		t.Errorf("bootstrap content %q", contents["bootstrap"])
	}
	again, err := cli.BuildZip(ctx, dir)
	if err != nil || !bytes.Equal(again, b) {
		t.Errorf("a second build gave a different zip (%v)", err)
	}
}

// TestBuildZipErrors covers projects that cannot be packaged.
func TestBuildZipErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"no project file", map[string]string{"bootstrap": "x"}},
		{"no name", map[string]string{"lambdock.yaml": "runtime: provided.al2023\n", "bootstrap": "x"}},
		{"unknown key", map[string]string{"lambdock.yaml": "name: x\nmemroy: 256\n", "bootstrap": "x"}},
		{"bad build", map[string]string{"lambdock.yaml": "name: x\nbuild: rust\n", "bootstrap": "x"}},
		{"no bootstrap", map[string]string{"lambdock.yaml": "name: x\n"}},
		{"include matches nothing", map[string]string{"lambdock.yaml": "name: x\ninclude: [nope]\n", "bootstrap": "x"}},
		{"go build fails", map[string]string{"lambdock.yaml": "name: x\nbuild: go\n", "go.mod": "module x\n", "main.go": "package main\nfunc main() { undefined() }\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			testtree.Write(t, dir, tt.files)
			if _, err := cli.BuildZip(context.Background(), dir); err == nil {
				t.Error("BuildZip succeeded")
			}
		})
	}
}

// TestScaffoldBuilds scaffolds both project kinds and builds them: the zip holds an executable
// linux/amd64 ELF bootstrap.
func TestScaffoldBuilds(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH")
	}
	for _, runtime := range []string{cli.ScaffoldProvided, cli.ScaffoldGo} {
		t.Run(runtime, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "hello")
			files, err := cli.Scaffold(dir, "hello", runtime)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(files, "lambdock.yaml") || !slices.Contains(files, "main.go") || !slices.Contains(files, "go.mod") {
				t.Errorf("scaffolded %v", files)
			}
			p, err := cli.LoadProject(dir)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != "hello" || p.Runtime != "provided.al2023" || p.Handler != "bootstrap" || p.Build != cli.BuildGo ||
				p.Memory != 128 || p.Timeout != 3 || p.Environment["GREETING"] != "Hello" {
				t.Errorf("project %+v", p)
			}
			b, err := cli.BuildZip(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			modes, contents := unzip(t, b)
			if len(modes) != 1 || modes["bootstrap"] != 0o755 || !bytes.HasPrefix([]byte(contents["bootstrap"]), []byte("\x7fELF")) {
				t.Errorf("zip: %v (bootstrap starts %q)", modes, contents["bootstrap"][:min(4, len(contents["bootstrap"]))])
			}
		})
	}
}

// TestScaffoldRefuses checks init's refusals.
func TestScaffoldRefuses(t *testing.T) {
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{"taken/file": "x"})
	for name, args := range map[string][3]string{
		"non-empty dir":   {filepath.Join(dir, "taken"), "ok", cli.ScaffoldGo},
		"bad name":        {filepath.Join(dir, "a"), "bad name", cli.ScaffoldGo},
		"unknown runtime": {filepath.Join(dir, "b"), "ok", "python"},
	} {
		if _, err := cli.Scaffold(args[0], args[1], args[2]); err == nil {
			t.Errorf("%s: Scaffold succeeded", name)
		}
	}
}
