package msg

import (
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
)

// Headers of the messages of a streamed response.
const (
	// HeaderStreamSeq numbers the messages of one stream from 0, the end included, so that the
	// reader sees a lost message (core NATS is at most once).
	HeaderStreamSeq = "Lambdock-Stream-Seq"
	// HeaderStreamEnd marks the last message of a stream; it carries no body bytes.
	HeaderStreamEnd = "Lambdock-Stream-End"
	// HeaderStreamError is set on the end of a stream that failed, to the function error type
	// (Sandbox.Timedout, Function.ResponseSizeTooLarge, the runtime's own) or, when the
	// platform failed, lambdaerr.CodeService. The end's body is then the error JSON, if known.
	HeaderStreamError = "Lambdock-Stream-Error"
)

// MaxStreamChunk is the most response bytes one stream message carries.
const MaxStreamChunk = 64 * 1024

// StreamPart is one message of a streamed response, as read by ReadStreamPart.
type StreamPart struct {
	Seq  int64
	Data []byte // response bytes; on the end, the error JSON of a failed stream
	End  bool
	// ErrorType is the failure that ended the stream ("" for success); only on the end.
	ErrorType string
}

// StreamChunk is message seq of a stream, carrying response bytes.
func StreamChunk(subject string, seq int64, data []byte) *nats.Msg {
	return &nats.Msg{Subject: subject, Data: data, Header: nats.Header{HeaderStreamSeq: []string{strconv.FormatInt(seq, 10)}}}
}

// StreamEnd is the last message of a stream, seq following the last chunk's; errorType is ""
// for success.
func StreamEnd(subject string, seq int64, errorType string, errorBody []byte) *nats.Msg {
	m := StreamChunk(subject, seq, nil)
	m.Header.Set(HeaderStreamEnd, "true")
	if errorType != "" {
		m.Header.Set(HeaderStreamError, errorType)
		m.Data = errorBody
	}
	return m
}

// ReadStreamPart reads a message of a stream.
func ReadStreamPart(m *nats.Msg) (StreamPart, error) {
	seq, err := strconv.ParseInt(m.Header.Get(HeaderStreamSeq), 10, 64)
	if err != nil {
		return StreamPart{}, fmt.Errorf("msg: stream message without a valid %s: %w", HeaderStreamSeq, err)
	}
	return StreamPart{Seq: seq, Data: m.Data, End: m.Header.Get(HeaderStreamEnd) != "",
		ErrorType: m.Header.Get(HeaderStreamError)}, nil
}
