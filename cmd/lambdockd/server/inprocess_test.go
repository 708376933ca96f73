package server_test

import (
	"testing"

	"github.com/lambdock/lambdock/cmd/lambdockd/server"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// TestRolesUseInProcessNATS: with the embedded NATS server the roles' connection is an
// in-process pipe, not TCP; with an external server it is TCP.
func TestRolesUseInProcessNATS(t *testing.T) {
	dbURL := testenv.Postgres(t)
	for _, tc := range []struct {
		name      string
		natsURL   string
		inProcess bool
	}{
		{"embedded", "", true},
		{"external", testenv.NATS(t).ClientURL(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := controlPlane(t, tc.natsURL, dbURL)
			cfg.NATSPort = -1
			srv := startServer(t, cfg)
			nc := server.NATSConn(srv)
			// net.Pipe's address is "pipe"; a TCP connection's is host:port.
			if got := nc.ConnectedAddr(); (got == "pipe") != tc.inProcess {
				t.Fatalf("connected to %q; in-process wanted: %v", got, tc.inProcess)
			}
			if err := nc.Flush(); err != nil { // a round trip to the server
				t.Fatal(err)
			}
		})
	}
}
