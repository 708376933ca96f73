package msg

import (
	"encoding/json"
	"fmt"
)

// Message is every small type that travels on the NATS link as a JSON body. Encode and Decode
// are the only place that knows how they are encoded, so every role reads and writes them
// alike. Invocation and InvocationReply are not among them: their payload is the raw body and
// the rest travels in a header (EncodeInvocation, DecodeInvocation, ReplyMessage, DecodeReply).
type Message interface {
	Released | Heartbeat | FunctionChanged | Usage | CredentialsChanged | ScheduleChanged | Throttles |
		ProvisionSet | ProvisionStatus
}

// Encode encodes a message. Messages hold plain data, so encoding cannot fail.
func Encode[T Message](m T) []byte {
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("msg: encode %T: %v", m, err))
	}
	return b
}

// Decode decodes a message body.
func Decode[T Message](data []byte) (T, error) {
	var m T
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("msg: decode %T: %w", m, err)
	}
	return m, nil
}
