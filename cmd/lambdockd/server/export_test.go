package server

import "github.com/nats-io/nats.go"

// NATSConn is the connection the server's roles share, for tests.
func NATSConn(s *Server) *nats.Conn { return s.nc }
