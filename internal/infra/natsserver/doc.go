// Package natsserver runs the embedded NATS server of a single-host Lambdock and connects clients
// to any NATS server.
//
// Design choices:
//
//   - The embedded server is a plain nats-server in the same process: JetStream on, file storage
//     in the data directory (so accepted async events, usage records and code survive restarts),
//     max_payload = msg.MaxPayload, no authentication. For that reason it listens on loopback
//     only unless told otherwise; many-host installs use an external NATS cluster instead.
//   - Start returns only once the server accepts connections and JetStream is enabled, so
//     callers can connect and create streams straight away.
//   - The server's own log goes to zap (notices at info, its debug and trace off).
//   - Connect retries the first connection until its context ends (the server may still be
//     starting) and then reconnects for ever: every Lambdock role is useless without NATS, so
//     giving up would only turn a short outage into a dead process.
package natsserver
