package pgserver

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap/zaptest"
)

// clusterDir is a fresh directory the server user can reach when the test runs as root
// (t.TempDir is mode 0700).
func clusterDir(t *testing.T, name string) string {
	t.Helper()
	tmp := t.TempDir()
	for _, d := range []string{filepath.Dir(tmp), tmp} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(tmp, name)
}

func startServer(t *testing.T, dir string) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, dir, zaptest.NewLogger(t), NoSync())
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

func sqlInt(t *testing.T, s *Server, sql string, args ...any) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URL())
	if err != nil {
		t.Fatalf("connect %s: %v", s.URL(), err)
	}
	defer conn.Close(ctx)
	var n int
	if strings.HasPrefix(sql, "SELECT") {
		if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return 0
}

func TestRestartKeepsData(t *testing.T) {
	dir := clusterDir(t, "pg")
	s := startServer(t, dir)
	sqlInt(t, s, "CREATE TABLE kept (n int)")
	sqlInt(t, s, "INSERT INTO kept VALUES (41), (1)")
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	s2 := startServer(t, dir)
	if got := sqlInt(t, s2, "SELECT sum(n) FROM kept"); got != 42 {
		t.Fatalf("sum after restart = %d, want 42", got)
	}
}

func TestStartAfterCrash(t *testing.T) {
	tests := []struct {
		name  string
		crash func(t *testing.T, s *Server)
	}{
		{"server left running", func(_ *testing.T, s *Server) {
			_ = s.lock.Close() // as if the process had died
		}},
		{"stale pid file with a live pid", func(t *testing.T, s *Server) {
			if err := s.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			// Our own pid is alive but is no postmaster of this directory.
			pid := strconv.Itoa(os.Getpid()) + "\n" + s.dir + "\n"
			if err := os.WriteFile(filepath.Join(s.dir, pidFile), []byte(pid), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"empty pid file", func(t *testing.T, s *Server) {
			if err := s.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(s.dir, pidFile), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := clusterDir(t, "pg")
			s := startServer(t, dir)
			sqlInt(t, s, "CREATE TABLE kept (n int)")
			sqlInt(t, s, "INSERT INTO kept VALUES (7)")
			tt.crash(t, s)
			s2 := startServer(t, dir)
			if got := sqlInt(t, s2, "SELECT sum(n) FROM kept"); got != 7 {
				t.Fatalf("sum = %d, want 7", got)
			}
		})
	}
}

func TestLongDataDirUsesShortSocketDir(t *testing.T) {
	dir := clusterDir(t, strings.Repeat("d", 100))
	s := startServer(t, dir)
	if s.sockDir == s.dir || len(socketPath(s.sockDir)) > maxSocketPath {
		t.Fatalf("socket dir %q for data dir %q", s.sockDir, s.dir)
	}
	sqlInt(t, s, "SELECT 1")
}

func TestOneServerPerCluster(t *testing.T) {
	dir := clusterDir(t, "pg")
	startServer(t, dir)
	_, err := Start(context.Background(), dir, zaptest.NewLogger(t))
	if err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second Start on a cluster in use: err = %v", err)
	}
}

func TestRefusesForeignDirectory(t *testing.T) {
	dir := clusterDir(t, "pg")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "precious"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), dir, zaptest.NewLogger(t))
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("Start on a non-empty directory: err = %v", err)
	}
}

func TestVersionNumberOrder(t *testing.T) {
	tests := []struct {
		a, b string
	}{
		{"9.6", "10"},
		{"10", "15"},
		{"15", "16"},
		{"junk", "9.6"},
	}
	for _, tt := range tests {
		if versionNumber(tt.a) >= versionNumber(tt.b) {
			t.Errorf("versionNumber(%q) >= versionNumber(%q)", tt.a, tt.b)
		}
	}
}

func TestUnreachableDirectoryIsExplained(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root runs the server as another user")
	}
	dir := filepath.Join(t.TempDir(), "pg") // t.TempDir is mode 0700: closed to the server user
	_, err := Start(context.Background(), dir, zaptest.NewLogger(t))
	if err == nil || !strings.Contains(err.Error(), "does not let that user reach") {
		t.Fatalf("Start below a 0700 root directory: err = %v", err)
	}
}
