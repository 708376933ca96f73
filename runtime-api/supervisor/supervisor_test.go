package supervisor

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func testSupervisor(t *testing.T) (*Supervisor, *os.File) {
	t.Helper()
	s := New(slog.New(slog.DiscardHandler))
	if s.InitProcess() {
		t.Fatal("tests must not run as PID 1")
	}
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	return s, out
}

func waitDone(t *testing.T, p *Process) string {
	t.Helper()
	select {
	case <-p.Done():
		return p.ExitState()
	case <-time.After(30 * time.Second):
		t.Fatal("process did not end")
		return ""
	}
}

func TestExitStates(t *testing.T) {
	tests := []struct {
		name   string
		script string
		kill   bool
		want   string
	}{
		{name: "exit 0", script: "exit 0", want: "exit status 0"},
		{name: "exit 3", script: "exit 3", want: "exit status 3"},
		{name: "killed", script: "exec sleep 1000", kill: true, want: "signal: killed"},
		{name: "self SIGTERM", script: "kill -TERM $$", want: "signal: terminated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, out := testSupervisor(t)
			p, err := s.Start(Spec{Args: []string{"/bin/sh", "-c", tt.script}, Dir: t.TempDir(), Output: out})
			if err != nil {
				t.Fatal(err)
			}
			if tt.kill {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := s.Kill(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
			if got := waitDone(t, p); got != tt.want {
				t.Errorf("ExitState = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKillReachesChildren(t *testing.T) {
	s, out := testSupervisor(t)
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child")
	script := "sleep 1000 & echo $! > " + pidFile + ".tmp; mv " + pidFile + ".tmp " + pidFile + "; wait"
	p, err := s.Start(Spec{Args: []string{"/bin/sh", "-c", script}, Dir: dir, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	var child int
	for deadline := time.Now().Add(30 * time.Second); child == 0; {
		if b, err := os.ReadFile(pidFile); err == nil {
			child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		} else if time.Now().After(deadline) {
			t.Fatal("child pid never written")
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Kill(ctx, p); err != nil {
		t.Fatal(err)
	}
	// The grandchild was reparented away from us; it is gone once the kernel has delivered
	// SIGKILL, which kill(2) on a process group does before returning. It may linger as a
	// zombie of its new parent until that parent reaps it, so look at its state.
	for deadline := time.Now().Add(30 * time.Second); alive(child); {
		if time.Now().After(deadline) {
			t.Fatalf("child %d survived the kill", child)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func TestOOMScoreRaised(t *testing.T) {
	s, out := testSupervisor(t)
	p, err := s.Start(Spec{Args: []string{"/bin/sleep", "1000"}, Dir: t.TempDir(), Output: out})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Kill(context.Background(), p)
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid()) + "/oom_score_adj")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != "1000" {
		t.Errorf("oom_score_adj = %s, want 1000", got)
	}
}

func TestStartFailure(t *testing.T) {
	s, out := testSupervisor(t)
	_, err := s.Start(Spec{Args: []string{"/nonexistent/bootstrap"}, Dir: t.TempDir(), Output: out})
	if err == nil || !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("err = %v, want ENOENT", err)
	}
	if want := "fork/exec /nonexistent/bootstrap: no such file or directory"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

func TestDescribeWaitStatus(t *testing.T) {
	tests := []struct {
		ws   syscall.WaitStatus
		want string
	}{
		{0, "exit status 0"},
		{1 << 8, "exit status 1"},
		{142 << 8, "exit status 142"},
		{syscall.WaitStatus(syscall.SIGKILL), "signal: killed"},
		{syscall.WaitStatus(syscall.SIGSEGV) | 0x80, "signal: segmentation fault (core dumped)"},
	}
	for _, tt := range tests {
		if got := DescribeWaitStatus(tt.ws); got != tt.want {
			t.Errorf("DescribeWaitStatus(%#x) = %q, want %q", uint32(tt.ws), got, tt.want)
		}
	}
}

func TestCommand(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "exe")
	notExe := filepath.Join(dir, "plain")
	for path, mode := range map[string]os.FileMode{exe: 0o755, notExe: 0o644} {
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	missing := filepath.Join(dir, "missing")
	sh, err := Command([]string{"sh"}, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		command    []string
		candidates []string
		want       []string
		wantErr    string
	}{
		{name: "first executable bootstrap", candidates: []string{missing, notExe, exe}, want: []string{exe}},
		{name: "no bootstrap", candidates: []string{missing, notExe},
			wantErr: "Couldn't find valid bootstrap(s): [" + missing + " " + notExe + "]"},
		{name: "absolute command", command: []string{"/bin/echo", "hi"}, want: []string{"/bin/echo", "hi"}},
		{name: "relative to working dir", command: []string{"./exe", "a"}, want: []string{exe, "a"}},
		{name: "PATH lookup", command: []string{"sh", "-c", "x"}, want: []string{sh[0], "-c", "x"}},
		{name: "not in PATH", command: []string{"no-such-program-xyz"},
			wantErr: `exec: "no-such-program-xyz": executable file not found in $PATH`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Command(tt.command, dir, tt.candidates)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("Command = %q, want %q", got, tt.want)
			}
		})
	}
}
