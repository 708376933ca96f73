package msg

import (
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
)

// HeaderInvocation carries an Invocation's metadata (every field but Payload) as JSON; the
// message body is the event, raw. A relay (the controller) routes on this header alone and
// forwards the body untouched.
const HeaderInvocation = "Lambdock-Invocation"

// HeaderReply carries an InvocationReply's metadata (every field but Payload, the Error
// included) as JSON; the message body is the result, raw.
const HeaderReply = "Lambdock-Reply"

// EncodeInvocation is inv as a NATS message without a subject: its metadata in
// HeaderInvocation, its Payload as the body (not copied).
func EncodeInvocation(inv Invocation) *nats.Msg {
	return &nats.Msg{Header: nats.Header{HeaderInvocation: []string{encodeHeader(inv)}}, Data: inv.Payload}
}

// DecodeInvocation reads an invocation message: the metadata from HeaderInvocation, the Payload
// from the body (not copied; nil when empty). It never reads the body's bytes.
func DecodeInvocation(m *nats.Msg) (Invocation, error) {
	var inv Invocation
	if h := m.Header.Get(HeaderInvocation); fastDecodeInvocation(h, &inv) {
		inv.Payload = body(m)
		return inv, nil
	}
	inv = Invocation{}
	if err := decodeHeader(m, HeaderInvocation, &inv); err != nil {
		return Invocation{}, err
	}
	inv.Payload = body(m)
	return inv, nil
}

// ForwardInvocation is the invocation message m addressed to subject, with the same headers
// (copied, so the caller may add its own) and the same body (not copied): how a relay passes an
// invocation on without decoding or re-encoding its payload.
func ForwardInvocation(m *nats.Msg, subject string) *nats.Msg {
	h := make(nats.Header, len(m.Header)+2)
	for k, v := range m.Header {
		h[k] = v
	}
	return &nats.Msg{Subject: subject, Header: h, Data: m.Data}
}

// ReplyMessage is r as a NATS message: its metadata in HeaderReply, its Payload as the body
// (not copied), and HeaderReplyError set when r is a failure, so that a relay (the controller)
// tells a failure from this header alone.
func ReplyMessage(r InvocationReply) *nats.Msg {
	m := &nats.Msg{Header: nats.Header{HeaderReply: []string{encodeHeader(r)}}, Data: r.Payload}
	if r.Error != nil {
		m.Header.Set(HeaderReplyError, r.Error.Code)
	}
	return m
}

// DecodeReply reads a reply message: the metadata from HeaderReply, the Payload from the body
// (not copied; nil when empty).
func DecodeReply(m *nats.Msg) (InvocationReply, error) {
	var r InvocationReply
	if h := m.Header.Get(HeaderReply); fastDecodeReply(h, &r) {
		r.Payload = body(m)
		return r, nil
	}
	r = InvocationReply{}
	if err := decodeHeader(m, HeaderReply, &r); err != nil {
		return InvocationReply{}, err
	}
	r.Payload = body(m)
	return r, nil
}

// ForwardReply is the reply message m as it came (headers and body, neither copied), for a
// relay to answer its own caller with.
func ForwardReply(m *nats.Msg) *nats.Msg { return &nats.Msg{Header: m.Header, Data: m.Data} }

// encodeHeader is v as compact JSON, which holds no CR or LF and so fits a header value.
// Messages hold plain data, so encoding cannot fail.
func encodeHeader(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("msg: encode %T: %v", v, err))
	}
	return string(b)
}

// decodeHeader decodes the JSON of header name of m into v.
func decodeHeader(m *nats.Msg, name string, v any) error {
	h := m.Header.Get(name)
	if h == "" {
		return fmt.Errorf("msg: decode %T: no %s header", v, name)
	}
	if err := json.Unmarshal([]byte(h), v); err != nil {
		return fmt.Errorf("msg: decode %T: %w", v, err)
	}
	return nil
}

// body is m's body, nil when empty.
func body(m *nats.Msg) []byte {
	if len(m.Data) == 0 {
		return nil
	}
	return m.Data
}
