package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// ProjectFile is the name of a function project's configuration file.
const ProjectFile = "lambdock.yaml"

// Build kinds of a project.
const (
	// BuildGo runs `go build` in the project directory to produce the bootstrap executable.
	BuildGo = "go"
	// BuildNone packages the files as they are (a prebuilt bootstrap).
	BuildNone = "none"
)

// Project is lambdock.yaml: how to build a function and how to configure it.
type Project struct {
	Name        string            `yaml:"name"`
	Runtime     string            `yaml:"runtime"`               // Lambda runtime, default provided.al2023
	Handler     string            `yaml:"handler"`               // default bootstrap
	Memory      int               `yaml:"memory"`                // MB, default 128
	Timeout     int               `yaml:"timeout"`               // seconds, default 3
	Description string            `yaml:"description,omitempty"` // free text
	Environment map[string]string `yaml:"environment,omitempty"` // function environment variables
	Layers      []string          `yaml:"layers,omitempty"`      // layer version ARNs, in order (at most 5)
	// Build is "go" (build ./ into bootstrap for linux/amd64) or "none" (default: package the
	// existing bootstrap).
	Build string `yaml:"build,omitempty"`
	// Include lists extra files or directories (globs relative to the project) to package
	// next to bootstrap.
	Include []string `yaml:"include,omitempty"`
	// Vendor, for the Python and Node.js runtimes, installs requirements.txt's packages (pip) or
	// package.json's dependencies (npm) into the package at deploy; default true. false packages
	// the directory as it is (dependencies vendored by hand).
	Vendor *bool `yaml:"vendor,omitempty"`
}

// Vendors reports whether deploy installs the project's dependencies (Vendor, default true).
func (p *Project) Vendors() bool { return p.Vendor == nil || *p.Vendor }

// LoadProject reads dir/lambdock.yaml, refusing unknown keys, and fills in defaults.
func LoadProject(dir string) (*Project, error) {
	path := filepath.Join(dir, ProjectFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, errNoProject)
	}
	if err != nil {
		return nil, fmt.Errorf("read project: %w", err)
	}
	var p Project
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if p.Name == "" {
		return nil, fmt.Errorf("%s: name is required", path)
	}
	if p.Runtime == "" {
		p.Runtime = "provided.al2023"
	}
	if p.Handler == "" {
		p.Handler = "bootstrap"
	}
	if p.Memory == 0 {
		p.Memory = rules.DefaultMemoryMB
	}
	if p.Timeout == 0 {
		p.Timeout = rules.DefaultTimeoutSec
	}
	switch p.Build {
	case "":
		p.Build = BuildNone
	case BuildGo, BuildNone:
	default:
		return nil, fmt.Errorf("%s: build must be %q or %q, not %q", path, BuildGo, BuildNone, p.Build)
	}
	return &p, nil
}

// errNoProject tells that a directory has no lambdock.yaml.
var errNoProject = errors.New("no " + ProjectFile + " here: run `lambdock init NAME` first or pass the project directory")
