package supervisor

import (
	"fmt"
	"syscall"
)

// Process is a started runtime process.
type Process struct {
	pid   int
	done  chan struct{}
	state string
}

// Pid is the process id.
func (p *Process) Pid() int { return p.pid }

// Done is closed once the process has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited, without waiting.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// ExitState describes how the process ended in Go's ProcessState wording ("exit status 2",
// "signal: killed"), as Lambda's Runtime.ExitError message does. Valid after Done.
func (p *Process) ExitState() string {
	<-p.done
	return p.state
}

func (p *Process) exited(ws syscall.WaitStatus) {
	p.state = DescribeWaitStatus(ws)
	close(p.done)
}

// lost ends a process whose status could not be collected.
func (p *Process) lost(err error) {
	p.state = "wait: " + err.Error()
	close(p.done)
}

// DescribeWaitStatus renders a wait status the way os.ProcessState.String does.
func DescribeWaitStatus(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		s := "signal: " + ws.Signal().String()
		if ws.CoreDump() {
			s += " (core dumped)"
		}
		return s
	default:
		return fmt.Sprintf("wait status %#x", uint32(ws))
	}
}
