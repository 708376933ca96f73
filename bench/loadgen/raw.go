package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// RawPost is a Request like HTTPPostWith for throughput runs, at a fraction of net/http's
// client cost: the request's bytes (request line, Host, header, Content-Length, body) are built
// once and written as they are on kept-alive HTTP/1.1 connections, one per request in flight,
// and the answer is read with a bufio.Reader: its status line, its headers, and a
// Content-Length body (a chunked answer is an error). A transport error, a status other than
// want (any 2xx when want is 0) or an X-Amz-Function-Error header is an error. Each request has
// timeout to finish. target must be a plain-HTTP loopback address. Close the returned closer to
// close the idle connections.
func RawPost(target, body string, header http.Header, want int, timeout time.Duration) (Request, io.Closer, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, nil, fmt.Errorf("loadgen: %w", err)
	}
	if u.Scheme != "http" || !isLoopback(u.Hostname()) {
		return nil, nil, fmt.Errorf("loadgen: %s is not a plain-HTTP loopback address", target)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", u.RequestURI(), u.Host, len(body))
	names := make([]string, 0, len(header))
	for k := range header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if strings.EqualFold(k, "Host") || strings.EqualFold(k, "Content-Length") {
			continue // written above, from the target and the body
		}
		for _, v := range header[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	p := &rawPool{addr: addr, req: b.Bytes(), want: want, timeout: timeout, idle: make(chan *rawConn, 1024)}
	return p.do, p, nil
}

// rawPool holds RawPost's idle connections.
type rawPool struct {
	addr    string
	req     []byte
	want    int
	timeout time.Duration
	idle    chan *rawConn
}

// rawConn is a kept-alive connection and its reader.
type rawConn struct {
	c net.Conn
	r *bufio.Reader
}

// Close closes the idle connections.
func (p *rawPool) Close() error {
	for {
		select {
		case c := <-p.idle:
			_ = c.c.Close()
		default:
			return nil
		}
	}
}

// do sends the request once on an idle connection, or a new one.
func (p *rawPool) do(ctx context.Context) error {
	var c *rawConn
	select {
	case c = <-p.idle:
	default:
		var d net.Dialer
		nc, err := d.DialContext(ctx, "tcp", p.addr)
		if err != nil {
			return err
		}
		c = &rawConn{c: nc, r: bufio.NewReaderSize(nc, 4096)}
	}
	keep, err := p.roundTrip(c) // an error answer read whole keeps the connection usable
	if !keep {
		_ = c.c.Close()
		return err
	}
	select {
	case p.idle <- c:
	default:
		_ = c.c.Close()
	}
	return err
}

// roundTrip writes the request on c and reads the answer; keep says whether c may be reused.
func (p *rawPool) roundTrip(c *rawConn) (keep bool, err error) {
	if p.timeout > 0 {
		if err := c.c.SetDeadline(time.Now().Add(p.timeout)); err != nil {
			return false, err
		}
	}
	if _, err := c.c.Write(p.req); err != nil {
		return false, err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return false, fmt.Errorf("loadgen: bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return false, fmt.Errorf("loadgen: bad status line %q", line)
	}
	length, keep, funcErr := -1, true, ""
	for {
		h, err := c.r.ReadSlice('\n')
		if err != nil {
			return false, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return false, fmt.Errorf("loadgen: bad header %q", h)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return false, fmt.Errorf("loadgen: bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return false, errors.New("loadgen: RawPost reads no chunked answer")
		case bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")):
			keep = false
		case bytes.EqualFold(name, []byte("X-Amz-Function-Error")):
			funcErr = string(value)
		}
	}
	if length < 0 {
		return false, errors.New("loadgen: an answer without Content-Length")
	}
	var msg []byte
	if length > 0 {
		msg = make([]byte, length)
		if _, err := io.ReadFull(c.r, msg); err != nil {
			return false, err
		}
	}
	switch {
	case status/100 != 2 || (p.want != 0 && status != p.want):
		return keep, fmt.Errorf("status %d: %.200s", status, msg)
	case funcErr != "":
		return keep, fmt.Errorf("function error %s: %.200s", funcErr, msg)
	}
	return keep, nil
}
