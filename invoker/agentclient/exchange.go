package agentclient

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
)

// The buffered calls of a warm invocation (POST /invoke, GET /idle) are plain HTTP/1.1
// exchanges on a kept connection, written and read by the calling goroutine: net/http's
// Transport runs a read and a write goroutine per connection and hands every request and
// response between them, which was most of the invoker's CPU per warm invoke. Streamed
// invocations, whose replies end with trailers read as the body is consumed, still go through
// net/http.

// maxIdleConns is how many connections a Client keeps: an invocation and the wait for the
// runtime's next /next of the one before it may overlap.
const maxIdleConns = 2

// conn is a kept connection to the agent and its reader.
type conn struct {
	net.Conn
	br *bufio.Reader
}

// header is one request header.
type header struct{ name, value string }

// exchange sends one request with body (nil for none) and reads the whole response, whose body
// is at most limit bytes (a longer one is an error). The connection goes back to the Client's
// idle list when the exchange completed cleanly. ctx bounds the whole exchange.
func (c *Client) exchange(ctx context.Context, method, path string, headers []header, body []byte, limit int64) (*http.Response, []byte, error) {
	req, err := requestHead(method, path, headers, body)
	if err != nil {
		return nil, nil, err
	}
	cn, err := c.conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	// An ending ctx interrupts the reads and writes below; the connection is then dropped.
	stop := context.AfterFunc(ctx, func() { _ = cn.SetDeadline(time.Unix(1, 0)) })
	resp, data, rest, err := roundTrip(cn, method, req, body, limit)
	if !stop() {
		err = errors.Join(ctx.Err(), err)
	}
	switch {
	case err != nil || resp.Close:
		cn.Close()
	case rest != nil: // the idle mark is still to come (idlemark.go)
		c.mark.set(&pendingMark{cn: cn, body: rest})
	default:
		c.putConn(cn)
	}
	return resp, data, err
}

// roundTrip writes the request and reads its response. A reply that ends with the idle mark
// (agentproto.HeaderResultIdleMark) is read up to the mark, and its body, with the mark still
// to read, is returned as rest.
func roundTrip(cn *conn, method string, head, body []byte, limit int64) (resp *http.Response, data []byte, rest io.ReadCloser, err error) {
	bufs := net.Buffers{head}
	if len(body) > 0 {
		bufs = append(bufs, body)
	}
	if _, err := bufs.WriteTo(cn); err != nil {
		return nil, nil, nil, fmt.Errorf("write request: %w", err)
	}
	resp, err = http.ReadResponse(cn.br, &http.Request{Method: method})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode == http.StatusOK && resp.Header.Get(agentproto.HeaderResultIdleMark) == "true" {
		n := resp.ContentLength - 1
		if n < 0 || n > limit {
			resp.Body.Close()
			return nil, nil, nil, fmt.Errorf("reply with an idle mark has a length of %d bytes", resp.ContentLength)
		}
		data = make([]byte, n)
		if _, err := io.ReadFull(resp.Body, data); err != nil {
			resp.Body.Close()
			return nil, nil, nil, fmt.Errorf("read response body: %w", err)
		}
		return resp, data, resp.Body, nil
	}
	data, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	resp.Body.Close()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read response body: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, nil, nil, fmt.Errorf("response body larger than %d bytes", limit)
	}
	return resp, data, nil, nil
}

// requestHead is the request line and headers of a request with body, refusing a header value
// net/http would refuse (control characters other than tab).
func requestHead(method, path string, headers []header, body []byte) ([]byte, error) {
	b := make([]byte, 0, 256)
	b = append(append(append(append(b, method...), ' '), path...), " HTTP/1.1\r\nHost: agent\r\n"...)
	for _, h := range headers {
		for i := 0; i < len(h.value); i++ {
			if c := h.value[i]; (c < ' ' && c != '\t') || c == 0x7f {
				return nil, fmt.Errorf("invalid header field value for %q", h.name)
			}
		}
		b = append(append(append(append(b, h.name...), ": "...), h.value...), "\r\n"...)
	}
	if method != http.MethodGet || len(body) > 0 {
		b = strconv.AppendInt(append(b, "Content-Length: "...), int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	return append(b, "\r\n"...), nil
}

// conn takes an idle connection or dials a new one.
func (c *Client) conn(ctx context.Context) (*conn, error) {
	select {
	case cn := <-c.idle:
		return cn, nil
	default:
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", c.sock)
	if err != nil {
		return nil, fmt.Errorf("dial agent: %w", err)
	}
	return &conn{Conn: nc, br: bufio.NewReader(nc)}, nil
}

// putConn keeps cn for the next exchange, or closes it when enough are kept.
func (c *Client) putConn(cn *conn) {
	_ = cn.SetDeadline(time.Time{})
	select {
	case c.idle <- cn:
	default:
		cn.Close()
	}
}

// closeIdle closes the kept connections.
func (c *Client) closeIdle() {
	for {
		select {
		case cn := <-c.idle:
			cn.Close()
		default:
			return
		}
	}
}
