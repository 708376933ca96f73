package pgserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
)

// ErrNoBinaries is returned (wrapped) when no PostgreSQL server binaries can be found.
var ErrNoBinaries = errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in " +
	"/usr/lib/postgresql/*/bin: install the postgresql package (apt-get install -y postgresql) or " +
	"set LAMBDOCK_DATABASE_URL")

// distroGlob is where Debian and Ubuntu install the server binaries of each major version.
const distroGlob = "/usr/lib/postgresql/*/bin"

// binaries is one directory holding initdb, pg_ctl and postgres of one major version.
type binaries struct {
	dir   string
	major string // "15"
}

func (b binaries) path(name string) string { return filepath.Join(b.dir, name) }

// findBinaries picks the server binaries. With want set (the PG_VERSION of an existing cluster),
// only that major version will do; otherwise PATH wins, then the highest distribution version.
func findBinaries(ctx context.Context, want string) (binaries, error) {
	var cands []binaries
	if onPath, err := exec.LookPath("pg_ctl"); err == nil {
		// Resolve symlinks so that initdb and postgres come from pg_ctl's real directory.
		if real, err := filepath.EvalSymlinks(onPath); err == nil {
			onPath = real
		}
		dir := filepath.Dir(onPath)
		if complete(dir) {
			major, err := majorVersion(ctx, filepath.Join(dir, "pg_ctl"))
			if err != nil {
				return binaries{}, err
			}
			cands = append(cands, binaries{dir: dir, major: major})
		}
	}
	dirs, _ := filepath.Glob(distroGlob) // the pattern is constant and valid
	var distro []binaries
	for _, dir := range dirs {
		if complete(dir) {
			distro = append(distro, binaries{dir: dir, major: filepath.Base(filepath.Dir(dir))})
		}
	}
	slices.SortFunc(distro, func(a, b binaries) int { return versionNumber(b.major) - versionNumber(a.major) })
	cands = append(cands, distro...)
	if len(cands) == 0 {
		return binaries{}, fmt.Errorf("pgserver: %w", ErrNoBinaries)
	}
	if want == "" {
		return cands[0], nil
	}
	for _, c := range cands {
		if c.major == want {
			return c, nil
		}
	}
	return binaries{}, fmt.Errorf("pgserver: the cluster was created by PostgreSQL %s but only "+
		"PostgreSQL %s server binaries are installed: install postgresql-%s (or upgrade the "+
		"cluster with pg_upgrade)", want, cands[0].major, want)
}

// complete reports whether dir holds every server binary pgserver runs.
func complete(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)(?:\.(\d+))?`)

// majorVersion asks a binary for its version: "15" for 15.x, "9.6" for 9.6.x.
func majorVersion(ctx context.Context, bin string) (string, error) {
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("pgserver: %s --version: %w", bin, err)
	}
	m := versionRE.FindStringSubmatch(string(out))
	if m == nil {
		return "", fmt.Errorf("pgserver: %s --version: unrecognised output %q", bin, out)
	}
	if n, _ := strconv.Atoi(m[1]); n < 10 && m[2] != "" {
		return m[1] + "." + m[2], nil
	}
	return m[1], nil
}

// versionNumber orders major versions ("9.6" < "10" < "15"); unparsable names sort last.
func versionNumber(major string) int {
	var a, b int
	if _, err := fmt.Sscanf(major, "%d.%d", &a, &b); err == nil {
		return a*100 + b
	}
	if _, err := fmt.Sscanf(major, "%d", &a); err == nil {
		return a * 100
	}
	return -1
}
