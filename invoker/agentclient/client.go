// Package agentclient is the host side of the invoker ↔ agent channel defined in
// internal/contract/agentproto: HTTP/1.1 over the unix socket in a container's channel directory.
//
// Design choices:
//   - One Client per container: a container runs one invocation at a time, so a single
//     persistent connection carries nearly all traffic and no connection set-up sits on the warm
//     path. The buffered calls (POST /invoke, GET /idle, GET /health) are written and read by the
//     calling goroutine on a kept connection (exchange.go), not through net/http's Transport,
//     whose per-connection read and write goroutines cost more CPU than the rest of a warm
//     invoke's agent round trip; a streamed invocation, whose outcome comes as trailers, goes
//     through an http.Transport.
//   - The socket is dialled as /proc/self/fd/<n>/agent.sock through a descriptor of the channel
//     directory held open for the Client's lifetime. The path the kernel sees is then short
//     whatever the data directory is, so the 108-byte limit of unix socket paths never bites.
//     This is Linux-only, as the invoker is (it bind-mounts host paths into Docker containers).
//   - Health is polled with a short, growing interval (1 ms doubling to 20 ms): the agent starts
//     in a few milliseconds and every millisecond of polling delay is cold-start latency.
package agentclient

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/infra/backoff"
)

// baseURL is the URL prefix of every request; the host part is ignored by the dialer.
const baseURL = "http://agent"

// The health poll's interval: 1 ms doubling to 20 ms.
const (
	healthPollMin = time.Millisecond
	healthPollMax = 20 * time.Millisecond
)

// Client talks to the agent of one container.
type Client struct {
	dir  *os.File // the channel directory, held open for dialling
	sock string   // the socket's path through dir's descriptor
	http *http.Client
	idle chan *conn // kept connections of exchange
	mark idleMark   // the idle signal still to come on the last buffered invocation's reply
}

// New returns a Client for the agent whose channel directory is dir (host path). It does not
// connect yet.
func New(dir string) (*Client, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("agentclient: open channel dir: %w", err)
	}
	sock := filepath.Join("/proc/self/fd", strconv.Itoa(int(d.Fd())), agentproto.SocketName)
	var dialer net.Dialer
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", sock)
		},
		MaxIdleConns:        2,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     0, // the agent lives as long as the container; keep the connection
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &Client{dir: d, sock: sock, http: &http.Client{Transport: tr}, idle: make(chan *conn, maxIdleConns)}, nil
}

// Close releases the connections and the directory descriptor.
func (c *Client) Close() error {
	c.http.CloseIdleConnections()
	c.closeIdle()
	c.mark.drop()
	return c.dir.Close()
}

// WaitHealthy polls GET /health until the agent answers 200 or ctx ends.
func (c *Client) WaitHealthy(ctx context.Context) error {
	poll := backoff.Backoff{Min: healthPollMin, Max: healthPollMax}
	for {
		err := c.get(ctx, agentproto.PathHealth)
		if err == nil {
			return nil
		}
		if !backoff.Sleep(ctx, poll.Next()) {
			return fmt.Errorf("agentclient: agent not healthy: %w (last: %v)", ctx.Err(), err)
		}
	}
}

// WaitIdle blocks until the agent reports the environment free again: it reads the idle mark
// of the last buffered invocation's reply (idlemark.go), or, after a streamed one, asks
// GET /idle.
func (c *Client) WaitIdle(ctx context.Context) error {
	if p := c.mark.take(); p != nil {
		if err := c.readMark(ctx, p); err != nil {
			return fmt.Errorf("agentclient: wait for idle: %w", err)
		}
		return nil
	}
	if err := c.get(ctx, agentproto.PathIdle); err != nil {
		return fmt.Errorf("agentclient: wait for idle: %w", err)
	}
	return nil
}

// get issues a GET and wants 200.
func (c *Client) get(ctx context.Context, p string) error {
	resp, body, err := c.exchange(ctx, http.MethodGet, p, nil, nil, 64*1024)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %s", p, resp.StatusCode, reason(body))
	}
	return nil
}

// reason is the start of a plain-text failure body.
func reason(body []byte) string {
	return strings.TrimSpace(string(body[:min(len(body), 1024)]))
}

// readReason returns the start of a plain-text failure body.
func readReason(resp *http.Response) string {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	return strings.TrimSpace(string(b))
}
