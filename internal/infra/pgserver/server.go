package pgserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// startTimeout bounds how long pg_ctl waits for the server to accept connections (crash
// recovery after an unclean stop can take a while).
const startTimeout = 5 * time.Minute

// Server is a running PostgreSQL cluster in one data directory.
type Server struct {
	dir     string
	sockDir string
	bin     binaries
	owner   *owner   // nil: the server runs as the caller
	lock    *os.File // held from Start until Stop succeeds
	log     *zap.Logger
}

// Option changes how Start runs the cluster.
type Option func(*settings)

type settings struct{ durable bool }

// NoSync turns off fsync, synchronous commit and full-page writes. A crash of the machine can then
// corrupt the cluster, so it is only for throwaway clusters such as tests'.
func NoSync() Option { return func(s *settings) { s.durable = false } }

// Start runs the cluster in dir (created and initialised on first use, reused afterwards) and
// makes sure the database "lambdock" exists. The server keeps running until Stop, also if the
// caller dies; the next Start on the same dir takes it over.
func Start(ctx context.Context, dir string, log *zap.Logger, opts ...Option) (*Server, error) {
	set := settings{durable: true}
	for _, o := range opts {
		o(&set)
	}
	dir, err := prepareDir(dir)
	if err != nil {
		return nil, err
	}
	lock, err := lockCluster(dir)
	if err != nil {
		return nil, err
	}
	s, err := start(ctx, dir, lock, log, set)
	if err != nil {
		_ = lock.Close()
		return nil, err
	}
	return s, nil
}

// start is Start once the cluster is locked.
func start(ctx context.Context, dir string, lock *os.File, log *zap.Logger, set settings) (*Server, error) {
	own, err := serverOwner()
	if err != nil {
		return nil, err
	}
	if err := own.checkReachable(dir); err != nil {
		return nil, err
	}
	major, err := clusterVersion(dir)
	if err != nil {
		return nil, err
	}
	bin, err := findBinaries(ctx, major)
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, sockDir: socketDir(dir), bin: bin, owner: own, lock: lock, log: log.With(zap.String("pgdata", dir))}
	if major == "" {
		if err := s.initdb(ctx, set.durable); err != nil {
			return nil, err
		}
	} else if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("pgserver: %w", err)
	} else if own != nil && !own.owns(fi) {
		s.log.Info("giving the cluster to the server user", zap.String("user", own.name))
		if err := own.chown(dir); err != nil {
			return nil, err
		}
	}
	if err := s.prepareSocketDir(); err != nil {
		return nil, err
	}
	if err := writeConfig(dir, s.sockDir, own, set.durable); err != nil {
		return nil, err
	}
	if err := s.takeOver(ctx); err != nil {
		return nil, err
	}
	if err := s.pgctlStart(ctx); err != nil {
		return nil, err
	}
	if err := s.ensureDatabase(ctx); err != nil {
		stopErr := s.pgctlStop(context.WithoutCancel(ctx))
		return nil, errors.Join(err, stopErr)
	}
	s.log.Info("PostgreSQL ready", zap.String("version", bin.major), zap.String("socket_dir", s.sockDir))
	return s, nil
}

// URL is a pgx connection URL for the database "lambdock" over the server's unix socket.
func (s *Server) URL() string { return s.DatabaseURL(Database) }

// DatabaseURL is a pgx connection URL for another database of the same cluster.
func (s *Server) DatabaseURL(db string) string {
	q := url.Values{}
	q.Set("host", s.sockDir)
	q.Set("port", strconv.Itoa(port))
	q.Set("user", superuser)
	q.Set("sslmode", "disable")
	return (&url.URL{Scheme: "postgres", Path: "/" + db, RawQuery: q.Encode()}).String()
}

// Dir is the cluster's data directory (absolute).
func (s *Server) Dir() string { return s.dir }

// Stop shuts the server down (pg_ctl stop -m fast: sessions are disconnected, transactions
// rolled back, the cluster is left clean), waits until it has exited and releases the cluster.
// It must not be called concurrently.
func (s *Server) Stop(ctx context.Context) error {
	if err := s.pgctlStop(ctx); err != nil {
		return err
	}
	if s.lock != nil {
		_ = s.lock.Close()
		s.lock = nil
	}
	return nil
}

// pgctlStop stops the postmaster serving the data directory, if any.
func (s *Server) pgctlStop(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(s.dir, pidFile)); errors.Is(err, fs.ErrNotExist) {
		return nil // not running
	}
	if _, err := s.run(ctx, "pg_ctl", "stop", "-D", s.dir, "-m", "fast", "-w", "-t", "120", "-s"); err != nil {
		return err
	}
	if s.sockDir != s.dir {
		_ = os.Remove(s.sockDir) // empty now; recreated by the next Start
	}
	s.log.Info("PostgreSQL stopped")
	return nil
}

// prepareDir makes dir absolute and real (symlinks resolved) and creates it (mode 0700). Missing
// parents are created with mode 0755, so that the server user can reach the cluster.
func prepareDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("pgserver: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return "", fmt.Errorf("pgserver: create data directory: %w", err)
	}
	if err := os.Mkdir(abs, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("pgserver: create data directory: %w", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("pgserver: %w", err)
	}
	return real, nil
}

// clusterVersion is the major version of the cluster in dir, or "" when dir is empty. A
// non-empty directory that is not a cluster is an error: Start never writes over other data.
func clusterVersion(dir string) (string, error) {
	v, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
	if err == nil {
		return strings.TrimSpace(string(v)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("pgserver: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("pgserver: %w", err)
	}
	if len(ents) > 0 {
		return "", fmt.Errorf("pgserver: %s is not empty and holds no PostgreSQL cluster (no PG_VERSION)", dir)
	}
	return "", nil
}

// initdb creates the cluster in a sibling directory and renames it into place once complete.
func (s *Server) initdb(ctx context.Context, durable bool) error {
	tmp := s.dir + ".initdb"
	if err := os.RemoveAll(tmp); err != nil { // left by a crash during an earlier initdb
		return fmt.Errorf("pgserver: %w", err)
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return fmt.Errorf("pgserver: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := s.owner.chown(tmp); err != nil {
		return err
	}
	args := []string{"-D", tmp, "-U", superuser, "--auth=trust", "--encoding=UTF8", "--locale=C"}
	if !durable {
		args = append(args, "--no-sync")
	}
	s.log.Info("creating PostgreSQL cluster", zap.String("version", s.bin.major))
	if _, err := s.run(ctx, "initdb", args...); err != nil {
		return err
	}
	if err := os.Remove(s.dir); err != nil { // empty (clusterVersion checked)
		return fmt.Errorf("pgserver: %w", err)
	}
	if err := os.Rename(tmp, s.dir); err != nil {
		return fmt.Errorf("pgserver: move the new cluster into place: %w", err)
	}
	return nil
}

// prepareSocketDir creates a separate socket directory when the data directory is too deep, and
// refuses one that someone else owns or can enter (it is in /tmp, which anyone can write).
func (s *Server) prepareSocketDir() error {
	if s.sockDir == s.dir {
		return nil
	}
	if err := os.MkdirAll(s.sockDir, 0o700); err != nil {
		return fmt.Errorf("pgserver: create socket directory: %w", err)
	}
	if err := s.owner.chown(s.sockDir); err != nil {
		return err
	}
	fi, err := os.Lstat(s.sockDir)
	if err != nil {
		return fmt.Errorf("pgserver: %w", err)
	}
	if !fi.IsDir() || !s.owner.owns(fi) || fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("pgserver: socket directory %s must be a directory owned by the server "+
			"user with mode 0700 (it is %v)", s.sockDir, fi.Mode())
	}
	return nil
}

// takeOver stops a postmaster a previous run left serving this directory, or clears the files
// a crashed one left behind.
func (s *Server) takeOver(ctx context.Context) error {
	pid, stale, err := previousServer(s.dir)
	switch {
	case err != nil:
		return err
	case stale:
		s.log.Warn("removing stale postmaster.pid left by a crashed server")
		return removeStale(s.dir, s.sockDir)
	case pid != 0:
		// The lock says no live process drives it: a previous run died and left it running.
		s.log.Info("stopping the PostgreSQL server left running by a previous run", zap.Int("pid", pid))
		return s.pgctlStop(ctx)
	}
	return nil
}

func (s *Server) pgctlStart(ctx context.Context) error {
	logFile := filepath.Join(s.dir, "startup.log")
	_, err := s.run(ctx, "pg_ctl", "start", "-D", s.dir, "-l", logFile, "-w",
		"-t", strconv.Itoa(int(startTimeout.Seconds())), "-s")
	if err != nil {
		return fmt.Errorf("%w; server log:\n%s", err, tail(logFile, 2048))
	}
	return nil
}

// ensureDatabase creates the database "lambdock" when it does not exist.
func (s *Server) ensureDatabase(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, s.DatabaseURL("postgres"))
	if err != nil {
		return fmt.Errorf("pgserver: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", Database).Scan(&exists)
	if err != nil {
		return fmt.Errorf("pgserver: look up database %s: %w", Database, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{Database}.Sanitize()); err != nil {
		return fmt.Errorf("pgserver: create database %s: %w", Database, err)
	}
	return nil
}

// run runs one of the server binaries as the server user and returns its output; a failure's
// error carries the output.
func (s *Server) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, s.bin.path(name), args...)
	cmd.SysProcAttr = s.owner.procAttr()
	cmd.Dir = "/" // the caller's directory may be closed to the server user
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	s.log.Debug("ran "+name, zap.Strings("args", args), zap.ByteString("output", out))
	if err != nil {
		return out, fmt.Errorf("pgserver: %s %s: %w: %s", name, args[0], err, bytes.TrimSpace(out))
	}
	return out, nil
}

// cleanEnv is the caller's environment without PG* variables, which would override the data
// directory, port or socket the commands are given, and with the C locale.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C", "LANG=C")
}

// tail is the end of a log file, for error messages.
func tail(path string, n int64) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	if int64(len(b)) > n {
		b = b[int64(len(b))-n:]
	}
	return string(bytes.TrimSpace(b))
}
