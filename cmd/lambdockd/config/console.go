package config

import (
	"fmt"
	"net"
	"strconv"
)

// ConsoleOff is the --console-addr value that turns the web console off.
const ConsoleOff = "off"

// ConsoleListenAddr is the address the web console listens on, or "" when it is off: the
// --console-addr given, else --addr's host with the next port (port 0, any free port, stays 0).
func (c Config) ConsoleListenAddr() (string, error) {
	switch c.ConsoleAddr {
	case ConsoleOff:
		return "", nil
	case "":
	default:
		return c.ConsoleAddr, nil
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return "", fmt.Errorf("--addr %q: %w", c.Addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p >= 65535 {
		return "", fmt.Errorf("--addr %q: no next port for the console; set --console-addr", c.Addr)
	}
	if p > 0 {
		p++
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), nil
}
