// Package runtimeapi is part of the in-container agent (runtime-api/): it serves the Lambda
// Runtime API (and the Extensions, Telemetry and Logs API stubs) that the function's runtime
// calls on 127.0.0.1:9001, and keeps the runtime's state machine.
//
// The wire format follows AWS's Runtime Interface Emulator byte for byte (lambda-api.md §1):
// status codes, error types and messages, state names in the 403 messages, JSON bodies written
// by encoding/json's Encoder (so they end in a newline). Real runtimes die on any status they do
// not expect, so these details are the contract, not cosmetics.
//
// Each generation of the environment (the external extensions launched for one init and the
// runtime process started after them) gets a fresh Session, with a fresh extensions.Registry:
// the state from that init to the reset. The
// environment package, which decides when to start, invoke and reset, drives a Session through
// its exported methods and waits on its channels; the HTTP handlers drive it from the runtime's
// side. A reset closes the Session, which releases every handler still waiting in it, and calls
// from the dead process can never reach the next one's state.
//
// A /response is read whole and handed over when the POST completes, unless the invocation
// carries a Sink (its caller asked for a stream, a RESPONSE_STREAM function URL): then the body
// goes to the Sink as it is read, up to the stream limit (rules.MaxStreamedResponse), and the
// runtime has responded, with the outcome of its error trailers, only when its POST is complete.
// The invocation's timer runs on while it streams.
//
// The server sets no timeouts: /next is a long poll that may wait for hours between invocations.
package runtimeapi
