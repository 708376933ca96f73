// Package rules is the one home of AWS Lambda's published limits and its billing rule, as
// lambda-api.md records them: payload sizes, configuration ranges and defaults, name lengths,
// the account's concurrency, the memory-to-CPU ratio, and how a duration becomes billed
// milliseconds, GB-seconds and the MB figures of the REPORT line.
//
// It holds numbers and pure functions only. It is not where errors are made (lambdaerr renders
// them and may take its numbers from here), nor where limits are enforced (the gateway, the
// agent and the invoker check them), nor Lambdock's own tuning (NATS sizes, timeouts of its own
// services). It imports nothing but the standard library, because the small static agent
// (cmd/lambdock-agent) links it.
package rules
