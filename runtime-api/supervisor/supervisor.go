package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
)

// Spec is a process to start.
type Spec struct {
	Args []string // Args[0] is the executable's path (see Command)
	Dir  string
	Env  []string
	// Output receives the process's stdout and stderr.
	Output *os.File
}

// Supervisor starts runtime processes and reaps them.
type Supervisor struct {
	log      *slog.Logger
	initProc bool // the agent is PID 1 of its PID namespace

	sigchld chan os.Signal // init mode only

	mu    sync.Mutex
	procs map[int]*Process // init mode: started, not yet reaped
}

// New makes a Supervisor. As PID 1 it starts listening for SIGCHLD at once, so no exit is
// missed before Run; Run must then be running for processes to be reaped.
func New(log *slog.Logger) *Supervisor {
	s := &Supervisor{log: log, initProc: os.Getpid() == 1, procs: map[int]*Process{}}
	if s.initProc {
		s.sigchld = make(chan os.Signal, 1)
		signal.Notify(s.sigchld, syscall.SIGCHLD)
	}
	return s
}

// InitProcess reports whether the supervisor acts as the container's init (PID 1).
func (s *Supervisor) InitProcess() bool { return s.initProc }

// Run reaps exited children until ctx ends. It is needed only as PID 1 and returns at once
// otherwise.
func (s *Supervisor) Run(ctx context.Context) error {
	if !s.initProc {
		return nil
	}
	defer signal.Stop(s.sigchld)
	for {
		s.reapAll()
		select {
		case <-ctx.Done():
			return nil
		case <-s.sigchld:
		}
	}
}

// reapAll collects every exited child, handing runtimes their status and dropping orphans.
func (s *Supervisor) reapAll() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		// Start holds mu from fork to registration, so a runtime that exits at once is found.
		s.mu.Lock()
		p := s.procs[pid]
		delete(s.procs, pid)
		s.mu.Unlock()
		if p != nil {
			p.exited(ws)
		}
	}
}

// Start starts the process with stdin from /dev/null and raises its OOM score so the kernel's
// OOM killer picks it (or its children, which inherit the score) before the agent.
func (s *Supervisor) Start(spec Spec) (*Process, error) {
	if len(spec.Args) == 0 {
		return nil, errors.New("supervisor: empty command")
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, fmt.Errorf("supervisor: open %s: %w", os.DevNull, err)
	}
	defer devnull.Close()
	out := spec.Output.Fd()
	attr := &syscall.ProcAttr{
		Dir:   spec.Dir,
		Env:   spec.Env,
		Files: []uintptr{devnull.Fd(), out, out},
		// Own process group, so that Signal reaches the process and its children and nothing
		// else (SIGTERM for the runtime must not reach the extensions).
		Sys: &syscall.SysProcAttr{Setpgid: true},
	}
	if !s.initProc {
		// Die with the parent so that a crashed test leaves nothing behind.
		attr.Sys.Pdeathsig = syscall.SIGKILL
	}

	s.mu.Lock()
	pid, err := syscall.ForkExec(spec.Args[0], spec.Args, attr)
	if err != nil {
		s.mu.Unlock()
		return nil, &os.PathError{Op: "fork/exec", Path: spec.Args[0], Err: err}
	}
	p := &Process{pid: pid, done: make(chan struct{})}
	if s.initProc {
		s.procs[pid] = p
	} else {
		go waitPid(p)
	}
	s.mu.Unlock()

	if err := os.WriteFile("/proc/"+strconv.Itoa(pid)+"/oom_score_adj", []byte("1000"), 0); err != nil {
		s.log.Warn("cannot raise the runtime's OOM score", "pid", pid, "err", err)
	}
	return p, nil
}

// waitPid waits for one child when the supervisor is not PID 1.
func waitPid(p *Process) {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(p.pid, &ws, 0, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			p.lost(err)
			return
		}
		p.exited(ws)
		return
	}
}

// Signal sends sig to p and every process it started that stayed in its process group.
// Processes already gone are not an error.
func (s *Supervisor) Signal(p *Process, sig syscall.Signal) error {
	if p == nil || p.pid <= 1 {
		return nil
	}
	return sendSignal(-p.pid, sig)
}

func sendSignal(pid int, sig syscall.Signal) error {
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("supervisor: signal %v: %w", sig, err)
	}
	return nil
}

// Kill sends SIGKILL to p and everything it started, as PID 1 to every process in the
// container (whatever left p's process group included), otherwise to p's process group, and
// waits until p itself has been reaped (or ctx ends).
func (s *Supervisor) Kill(ctx context.Context, p *Process) error {
	var err error
	if s.initProc {
		err = sendSignal(-1, syscall.SIGKILL)
	} else {
		err = s.Signal(p, syscall.SIGKILL)
	}
	if err != nil {
		return err
	}
	if p == nil {
		return nil
	}
	select {
	case <-p.Done():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("supervisor: wait for pid %d after SIGKILL: %w", p.pid, ctx.Err())
	}
}
