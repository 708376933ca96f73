package agentclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
)

// A buffered invocation asks the agent for the idle signal as the last byte of its reply
// (agentproto.HeaderIdleFollows): the invocation's exchange returns as soon as the result is
// read and leaves the connection here, with that one byte unread, for WaitIdle. This spares the
// GET /idle request per invocation on both sides, and on the agent's side that CPU counts
// against the function's quota.

// pendingMark is a connection whose reply still owes its idle mark.
type pendingMark struct {
	cn   *conn
	body io.ReadCloser // the reply's body, with the mark left to read
}

// idleMark holds at most one pendingMark: a container runs one invocation at a time, and the
// invoker waits for it to be idle before it sends the next.
type idleMark struct {
	mu sync.Mutex
	p  *pendingMark
}

// set leaves p for WaitIdle, dropping a mark nobody waited for (its connection is closed).
func (m *idleMark) set(p *pendingMark) {
	m.mu.Lock()
	old := m.p
	m.p = p
	m.mu.Unlock()
	if old != nil {
		old.cn.Close()
	}
}

// take returns the pending mark, if any, and forgets it.
func (m *idleMark) take() *pendingMark {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.p
	m.p = nil
	return p
}

// drop closes the connection of a pending mark (Close).
func (m *idleMark) drop() {
	if p := m.take(); p != nil {
		p.cn.Close()
	}
}

// readMark waits, until ctx ends, for the idle mark on p's connection; the connection is kept
// for the next exchange if the agent reported the environment idle, and closed otherwise.
func (c *Client) readMark(ctx context.Context, p *pendingMark) error {
	stop := context.AfterFunc(ctx, func() { _ = p.cn.SetDeadline(time.Unix(1, 0)) })
	var b [1]byte
	_, err := io.ReadFull(p.body, b[:])
	if !stop() {
		err = errors.Join(ctx.Err(), err)
	}
	if err == nil {
		err = p.body.Close() // at the end of the body: nothing left to drain
	}
	switch {
	case err != nil:
		p.cn.Close()
		return fmt.Errorf("read idle mark: %w", err)
	case b[0] != agentproto.IdleMark:
		p.cn.Close()
		return fmt.Errorf("the agent could not free the environment (mark %q)", b[0])
	}
	c.putConn(p.cn)
	return nil
}
