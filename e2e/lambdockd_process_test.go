package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// lambdockdProcess is a lambdockd binary the test runs itself (to kill it, or to run one role),
// until kill or the test's end.
type lambdockdProcess struct {
	cmd    *exec.Cmd
	exited chan error
	logs   bytes.Buffer
}

// startLambdockd starts the lambdockd binary with args, env added to its environment. At the
// test's end, unless it has exited, stop stops it (and must wait for p.exited); its output is
// logged if the test failed.
func startLambdockd(t *testing.T, env []string, stop func(p *lambdockdProcess), args ...string) *lambdockdProcess {
	t.Helper()
	p := &lambdockdProcess{exited: make(chan error, 1)}
	p.cmd = exec.Command(shared.lambdockd, args...)
	// The console's default address is the gateway's next port, which a test's free port does
	// not reserve: no console in these processes.
	p.cmd.Env = append(append(os.Environ(), "LAMBDOCK_CONSOLE_ADDR=off"), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.logs, &p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			stop(p)
		}
		if t.Failed() {
			t.Logf("lambdockd (pid %d) output:\n%s", p.cmd.Process.Pid, p.logs.String())
		}
	})
	return p
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *lambdockdProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}
