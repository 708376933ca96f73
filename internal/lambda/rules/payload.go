package rules

// Payload limits, in bytes.
const (
	// MaxRuntimePayload is the Runtime API limit for an event and for a buffered response:
	// 6 MiB + 100 = 6,291,556 bytes, the RIE's MaxPayloadSize (lambda-api.md §1.7, §1.3).
	MaxRuntimePayload = 6*1024*1024 + 100

	// MaxInvokeRequest is the Invoke API limit for a synchronous request body: 6,291,456 bytes
	// ("Request must be smaller than 6291456 bytes", lambda-api.md §1.7, §3.4).
	MaxInvokeRequest = 6 * 1024 * 1024

	// MaxStreamedResponse is the limit of a response streamed to a RESPONSE_STREAM function URL:
	// 200 MB (209,715,200 bytes) since 2025-07-31, 20 MB before (lambda-api.md §1.7).
	MaxStreamedResponse = 200 * 1024 * 1024

	// MaxClientContext is the limit on the base64 X-Amz-Client-Context header of Invoke
	// (lambda-api.md §3.1).
	MaxClientContext = 3583

	// LogTailBytes is how much of an invocation's log X-Amz-Log-Result carries: the last 4 KB,
	// START, END and REPORT lines included (lambda-api.md §3.2, §7).
	LogTailBytes = 4096
)

// MaxEventPayload is the Invoke API limit for an asynchronous (Event) request body: 1 MB since
// October 2025, 256 KB before (lambda-api.md §4.1).
const MaxEventPayload = 1024 * 1024
