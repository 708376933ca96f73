package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/lambdock/lambdock/invoker/sandbox"
)

// TestSIGTERM runs the lambdockd binary with a warm container, sends SIGTERM, and checks that
// the process exits 0, no container is left and its PostgreSQL is stopped. (What happens to
// invocations in flight is TestLambdockd's; it can watch the controller in-process.)
func TestSIGTERM(t *testing.T) {
	need(t)
	dir := dataDir(t)
	invokerID := "e2e-term-" + randomID()
	addr := freeAddr(t)
	var logs bytes.Buffer
	cmd := exec.Command(shared.lambdockd, "--data-dir", dir, "--addr", addr, "--console-addr", "off", "--nats-port", "-1",
		"--agent", shared.agent, "--invoker-id", invokerID, "--log-level", "info")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("lambdockd output:\n%s", logs.String())
		}
	})
	l := &lambdockd{url: "http://" + addr, http: &http.Client{}}
	eventually(t, func() string { return ready(l) })
	l.signIn(t, dir) // the credentials file exists once the gateway is up
	pgDir := filepath.Join(dir, "postgres")
	pgPID := postmasterPID(pgDir)

	const fn = "e2e-term"
	l.deploy(t, fn, memoryMB, 10)
	if r := l.invoke(t, fn, `{"op":"echo"}`); r.status != http.StatusOK {
		t.Fatalf("invoke: %v", r)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("lambdockd exited with %v", err)
		}
	case <-time.After(startTimeout):
		t.Fatal("lambdockd did not exit after SIGTERM")
	}
	if left := containers(t, sandbox.LabelInvoker+"="+invokerID); len(left) != 0 {
		t.Fatalf("%d containers left after SIGTERM", len(left))
	}
	if pgPID == 0 || postmasterPID(pgDir) != 0 {
		t.Fatalf("PostgreSQL pid before %d, pid file after: %d", pgPID, postmasterPID(pgDir))
	}
	eventually(t, func() string {
		if alive(pgPID) {
			return fmt.Sprintf("PostgreSQL (pid %d) still running", pgPID)
		}
		return ""
	})
}

// freeAddr is a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// ready is "" once the gateway's /readyz answers 200, else why not.
func ready(l *lambdockd) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, l.url+"/readyz", nil)
	resp, err := l.http.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("/readyz %d %s", resp.StatusCode, body)
	}
	return ""
}
