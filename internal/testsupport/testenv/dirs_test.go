package testenv

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/infra/pgserver"
)

// TestReapOrphans leaves a running cluster owned by a dead process and expects the next
// reapOrphans to stop and remove it, while a live owner's directory stays.
func TestReapOrphans(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	orphan, err := newDir()
	if err != nil {
		t.Fatal(err)
	}
	live, err := newDir()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(live) })

	srv, err := pgserver.Start(context.Background(), filepath.Join(orphan, clusterSubdir), zap.NewNop(), pgserver.NoSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop(context.Background()); _ = os.RemoveAll(orphan) })
	deadPID := []byte(strconv.Itoa(dead.Process.Pid))
	if err := os.WriteFile(filepath.Join(orphan, ownerFile), deadPID, 0o644); err != nil {
		t.Fatal(err)
	}

	reapOrphans()
	if _, err := os.Stat(orphan); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("orphaned directory still there: %v", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Fatalf("live directory removed: %v", err)
	}
}
