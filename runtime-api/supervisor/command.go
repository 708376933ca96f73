package supervisor

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Bootstraps are where the provided runtimes look for the runtime's entry point, in order
// (lambda-api.md §2.3).
func Bootstraps() []string {
	return []string{"/var/task/bootstrap", "/opt/bootstrap", "/var/runtime/bootstrap"}
}

// Command returns the argv to start: command with its executable resolved (absolute, relative
// to dir, or looked up in PATH), or, when command is empty, the first executable of candidates.
// The errors read like Lambda's Runtime.InvalidEntrypoint messages.
func Command(command []string, dir string, candidates []string) ([]string, error) {
	if len(command) == 0 {
		for _, c := range candidates {
			if isExecutable(c) {
				return []string{c}, nil
			}
		}
		return nil, &NoBootstrapError{Candidates: candidates}
	}
	name := command[0]
	switch {
	case filepath.IsAbs(name):
	case strings.Contains(name, "/"):
		name = filepath.Join(dir, name)
	default:
		p, err := exec.LookPath(name)
		if err != nil {
			return nil, err
		}
		name = p
	}
	return append([]string{name}, command[1:]...), nil
}

// NoBootstrapError is the provided-runtime search finding no executable bootstrap. Its text
// is Lambda's Runtime.InvalidEntrypoint message.
type NoBootstrapError struct{ Candidates []string }

func (e *NoBootstrapError) Error() string {
	return "Couldn't find valid bootstrap(s): [" + strings.Join(e.Candidates, " ") + "]"
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
