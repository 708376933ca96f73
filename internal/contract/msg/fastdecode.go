package msg

import (
	"encoding/base64"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/lambdock/lambdock/internal/contract/function"
)

// The headers of an Invocation and an InvocationReply are decoded on every invocation (twice
// and once), and encoding/json's reflection was most of a warm invocation's JSON cost. The
// decoders below read the form encodeHeader writes (known keys, strings without escapes,
// integers) directly; on anything else (an escaped string, an unknown or differently cased key,
// null, a float, an error object) they report false and the caller uses json.Unmarshal, so
// what they accept they decode exactly as encoding/json does (FuzzFastDecode checks it).

// scanner reads one JSON text.
type scanner struct {
	s string
	i int
}

func (p *scanner) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// consume skips white space and then c, reporting whether c was there.
func (p *scanner) consume(c byte) bool {
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string without escapes or control characters, valid UTF-8.
func (p *scanner) str() (string, bool) {
	if !p.consume('"') {
		return "", false
	}
	start := p.i
	ascii := true
	for ; p.i < len(p.s); p.i++ {
		c := p.s[p.i]
		switch {
		case c == '"':
			v := p.s[start:p.i]
			p.i++
			if !ascii && !utf8.ValidString(v) { // encoding/json would replace invalid bytes
				return "", false
			}
			return v, true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
	}
	return "", false
}

// int reads an integer literal (no fraction or exponent).
func (p *scanner) int() (int, bool) {
	p.ws()
	start := p.i
	if p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.s) && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
		p.i++
	}
	if p.i == digits || (p.s[digits] == '0' && p.i-digits > 1) {
		return 0, false
	}
	if p.i < len(p.s) && (p.s[p.i] == '.' || p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		return 0, false
	}
	n, err := strconv.ParseInt(p.s[start:p.i], 10, 0)
	return int(n), err == nil
}

// bool reads true or false.
func (p *scanner) bool() (bool, bool) {
	p.ws()
	switch {
	case len(p.s)-p.i >= 4 && p.s[p.i:p.i+4] == "true":
		p.i += 4
		return true, true
	case len(p.s)-p.i >= 5 && p.s[p.i:p.i+5] == "false":
		p.i += 5
		return false, true
	}
	return false, false
}

// object reads an object, calling field for each key with the scanner at its value; field
// reports false for a key or value it cannot take.
func (p *scanner) object(field func(key string) bool) bool {
	if !p.consume('{') {
		return false
	}
	if p.consume('}') {
		return true
	}
	for {
		key, ok := p.str()
		if !ok || !p.consume(':') || !field(key) {
			return false
		}
		if p.consume(',') {
			continue
		}
		return p.consume('}')
	}
}

// strings reads an array of strings; an empty array is an empty slice, as encoding/json makes.
func (p *scanner) strings() ([]string, bool) {
	out := []string{}
	ok := p.array(func() bool {
		v, ok := p.str()
		out = append(out, v)
		return ok
	})
	if !ok {
		return nil, false
	}
	return out, true
}

// array reads a JSON array, calling elem to read each element.
func (p *scanner) array(elem func() bool) bool {
	if !p.consume('[') {
		return false
	}
	if p.consume(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if p.consume(',') {
			continue
		}
		return p.consume(']')
	}
}

// end reports whether only white space is left.
func (p *scanner) end() bool {
	p.ws()
	return p.i == len(p.s)
}

// setString reads a string into dst.
func (p *scanner) setString(dst *string) bool {
	v, ok := p.str()
	*dst = v
	return ok
}

// setInt reads an integer into dst.
func (p *scanner) setInt(dst *int) bool {
	v, ok := p.int()
	*dst = v
	return ok
}

// setBool reads a bool into dst.
func (p *scanner) setBool(dst *bool) bool {
	v, ok := p.bool()
	*dst = v
	return ok
}

// spec reads a function.Spec.
func (p *scanner) spec(s *function.Spec) bool {
	sawEnv := false
	return p.object(func(key string) bool {
		switch key {
		case "name":
			return p.setString(&s.Name)
		case "version":
			return p.setString(&s.Version)
		case "account_id":
			return p.setString(&s.AccountID)
		case "region":
			return p.setString(&s.Region)
		case "runtime":
			return p.setString(&s.Runtime)
		case "handler":
			return p.setString(&s.Handler)
		case "memory_mb":
			return p.setInt(&s.MemoryMB)
		case "timeout_sec":
			return p.setInt(&s.TimeoutSec)
		case "ephemeral_mb":
			return p.setInt(&s.EphemeralMB)
		case "architecture":
			return p.setString(&s.Architecture)
		case "environment":
			if sawEnv { // encoding/json merges a repeated object into the map
				return false
			}
			sawEnv = true
			env := map[string]string{}
			s.Environment = env
			return p.object(func(k string) bool {
				v, ok := p.str()
				env[k] = v
				return ok
			})
		case "code_sha256":
			return p.setString(&s.CodeSHA256)
		case "image":
			return p.setString(&s.Image)
		case "entry_point":
			v, ok := p.strings()
			s.EntryPoint = v
			return ok
		case "command":
			v, ok := p.strings()
			s.Command = v
			return ok
		case "working_dir":
			return p.setString(&s.WorkingDir)
		case "layers":
			layers := []function.Layer{}
			ok := p.array(func() bool {
				var l function.Layer
				ok := p.object(func(k string) bool {
					switch k {
					case "arn":
						return p.setString(&l.ARN)
					case "code_sha256":
						return p.setString(&l.CodeSHA256)
					}
					return false
				})
				layers = append(layers, l)
				return ok
			})
			s.Layers = layers
			return ok
		}
		return false
	})
}

// fastDecodeInvocation decodes the JSON of HeaderInvocation, reporting false when it has to be
// left to encoding/json.
func fastDecodeInvocation(h string, inv *Invocation) bool {
	p := &scanner{s: h}
	sawFunction := false
	ok := p.object(func(key string) bool {
		switch key {
		case "request_id":
			return p.setString(&inv.RequestID)
		case "function":
			if sawFunction { // encoding/json decodes a repeated object into the same struct
				return false
			}
			sawFunction = true
			return p.spec(&inv.Function)
		case "invoked_function_arn":
			return p.setString(&inv.InvokedFunctionArn)
		case "client_context":
			return p.setString(&inv.ClientContext)
		case "trace_id":
			return p.setString(&inv.TraceID)
		case "log_tail":
			return p.setBool(&inv.LogTail)
		case "deadline":
			return p.setTime(&inv.Deadline)
		case "stream_subject":
			return p.setString(&inv.StreamSubject)
		case "type":
			return p.setString(&inv.Type)
		case "qualifier":
			return p.setString(&inv.Qualifier)
		case "event":
			if inv.Event != nil { // encoding/json decodes a repeated object into the same struct
				return false
			}
			inv.Event = &EventInfo{}
			return p.event(inv.Event)
		}
		return false
	})
	return ok && p.end()
}

// event decodes an asynchronous invocation's EventInfo.
func (p *scanner) event(ev *EventInfo) bool {
	return p.object(func(key string) bool {
		switch key {
		case "attempt":
			return p.setInt(&ev.Attempt)
		case "enqueued_at":
			return p.setTime(&ev.EnqueuedAt)
		case "not_before":
			return p.setTime(&ev.NotBefore)
		case "source":
			return p.setString(&ev.Source)
		case "qualifier":
			return p.setString(&ev.Qualifier)
		}
		return false
	})
}

// setTime decodes an RFC 3339 time as encoding/json does.
func (p *scanner) setTime(dst *time.Time) bool {
	v, ok := p.str()
	if !ok {
		return false
	}
	var t time.Time
	if err := t.UnmarshalJSON([]byte(`"` + v + `"`)); err != nil {
		return false
	}
	*dst = t
	return true
}

// fastDecodeReply decodes the JSON of HeaderReply, reporting false when it has to be left to
// encoding/json (an error reply among others).
func fastDecodeReply(h string, r *InvocationReply) bool {
	p := &scanner{s: h}
	ok := p.object(func(key string) bool {
		switch key {
		case "request_id":
			return p.setString(&r.RequestID)
		case "content_type":
			return p.setString(&r.ContentType)
		case "function_error":
			return p.setString(&r.FunctionError)
		case "executed_version":
			return p.setString(&r.ExecutedVersion)
		case "log_tail":
			v, ok := p.str()
			if !ok {
				return false
			}
			b, err := base64.StdEncoding.DecodeString(v)
			r.LogTail = b
			return err == nil
		case "streamed":
			return p.setBool(&r.Streamed)
		}
		return false
	})
	return ok && p.end()
}
