// Package lambdockdtest holds what running a whole lambdockd in-process needs, shared by the
// end-to-end tests (e2e) and the benchmark suite (cmd/lambdock-bench): a data directory
// PostgreSQL can reach, an all-roles loopback configuration, the admin credentials lambdockd
// writes on its first start, and a function project around a built bootstrap. It does not start
// the server (cmd/lambdockd/server.Start does) nor build binaries (testenv.GoBuild does).
package lambdockdtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/client/credentials"
	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/cmd/lambdockd/config"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// DataDir makes a temporary data directory that the PostgreSQL server user can reach
// (lambdockd runs PostgreSQL as another user when it is root). The caller removes it.
func DataDir(prefix string) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		_ = os.RemoveAll(dir) // the chmod error is the one to report
		return "", err
	}
	return dir, nil
}

// Config is an all-roles configuration on dir with free loopback ports, the agent binary at
// agent and its own invoker ID.
func Config(dir, agent, invokerID string) config.Config {
	return config.Config{
		Roles:              config.AllRoles(),
		Addr:               "127.0.0.1:0",
		DataDir:            dir,
		NATSPort:           -1,
		KeepAlive:          config.DefaultKeepAlive,
		QueueWait:          config.DefaultQueueWait,
		Overcommit:         config.DefaultOvercommit,
		AccountConcurrency: rules.DefaultAccountConcurrency,
		Agent:              agent,
		InvokerID:          invokerID,
		LogLevel:           "warn",
		ShutdownTimeout:    time.Minute,
	}
}

// AdminCredentials is the admin key lambdockd wrote to <dataDir>/credentials on its first
// start, found the way the lambdock CLI finds it (and nowhere else).
func AdminCredentials(dataDir string) (lambdaclient.Credentials, error) {
	found, err := credentials.Find(credentials.Sources{DataDir: dataDir,
		Getenv: func(string) string { return "" },
		Home:   func() (string, error) { return "", errors.New("no home: only lambdockd's file") }})
	if err != nil {
		return lambdaclient.Credentials{}, fmt.Errorf("lambdockd's credentials: %w", err)
	}
	return found.Credentials, nil
}

// WriteProject writes a function project into dir for cli.Deploy: a copy of the bootstrap
// binary and the project file with name, memory and timeout.
func WriteProject(dir, bootstrap, name string, memoryMB, timeoutSec int) error {
	bin, err := os.ReadFile(bootstrap)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), bin, 0o755); err != nil {
		return err
	}
	project := fmt.Sprintf("name: %s\nmemory: %d\ntimeout: %d\n", name, memoryMB, timeoutSec)
	return os.WriteFile(filepath.Join(dir, cli.ProjectFile), []byte(project), 0o644)
}
