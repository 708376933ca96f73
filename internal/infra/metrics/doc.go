// Package metrics is Lambdock's base for Prometheus metrics: a Registry that components
// register their collectors on (passed to them explicitly; there is no package-level registry),
// and an HTTP server that exposes it on /metrics (lambdockd --metrics-addr).
//
// Metric names start with "lambdock_". A component defines its own collectors next to its code
// (for example metering.NewMetrics) and registers them on the Registerer it is given.
package metrics
