package runtimeapi

import "net/http"

// telemetryStub answers PUT /telemetry like the RIE does without a telemetry service: 202 with
// an error body, so that extensions subscribing to telemetry keep running.
func telemetryStub(w http.ResponseWriter, _ *http.Request) {
	newAPIError(http.StatusAccepted, "Telemetry.NotSupported", "Telemetry API is not supported").render(w)
}

// logsStub answers the superseded PUT /logs the same way.
func logsStub(w http.ResponseWriter, _ *http.Request) {
	newAPIError(http.StatusAccepted, "Logs.NotSupported", "Logs API is not supported").render(w)
}
