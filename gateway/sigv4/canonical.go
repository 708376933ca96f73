package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// canonicalRequest builds the canonical request of r as its signer must have:
//
//	method \n canonical URI \n canonical query \n canonical headers \n signed headers \n payload hash
func canonicalRequest(r *http.Request, body []byte, sr *signedRequest) (string, *Error) {
	q, ok := parseQuery(r.URL.RawQuery)
	if !ok {
		return "", errSignatureMismatch() // a pair that does not parse cannot have been signed
	}
	payload, e := payloadHash(r, body)
	if e != nil {
		return "", e
	}
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(escape(requestPath(r), true))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(q, sr.presigned))
	b.WriteByte('\n')
	for name := range strings.SplitSeq(sr.signedHeaders, ";") {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(headerValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(sr.signedHeaders)
	b.WriteByte('\n')
	b.WriteString(payload)
	return b.String(), nil
}

// requestPath is the path as it travelled: the request target of a server-side request (before
// any decoding), or what aws-sdk-go-v2 signs for a client-side one (URL.Opaque after the host,
// else URL.EscapedPath). "" becomes "/".
func requestPath(r *http.Request) string {
	var p string
	switch {
	case r.RequestURI != "":
		p, _, _ = strings.Cut(r.RequestURI, "?")
		if !strings.HasPrefix(p, "/") { // absolute-form: http://host/path
			if _, rest, ok := strings.Cut(p, "://"); ok {
				p = ""
				if i := strings.IndexByte(rest, '/'); i >= 0 {
					p = rest[i:]
				}
			}
		}
	case r.URL.Opaque != "": // "//host/path", the SDK's way to pre-escape a path
		o, _, _ := strings.Cut(r.URL.Opaque, "?")
		o = strings.TrimPrefix(o, "//")
		if i := strings.IndexByte(o, '/'); i >= 0 {
			p = o[i:]
		}
	default:
		p = r.URL.EscapedPath()
	}
	if p == "" {
		return "/"
	}
	return p
}

// parseQuery decodes a raw query; ok is false if any pair does not parse (bad escape, ';').
func parseQuery(raw string) (q url.Values, ok bool) {
	q, err := url.ParseQuery(raw)
	return q, err == nil
}

// canonicalQuery encodes every name and value, sorts the pairs by name then value and joins them;
// a presigned request's own X-Amz-Signature is left out.
func canonicalQuery(q url.Values, presigned bool) string {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(q))
	for k, vs := range q {
		if presigned && k == querySignature {
			continue
		}
		ek := escape(k, false)
		for _, v := range vs {
			pairs = append(pairs, pair{ek, escape(v, false)})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// headerValue is the canonical value of the signed header name: the values of every field of
// that name, trimmed, with runs of spaces collapsed, joined by commas in the order received.
func headerValue(r *http.Request, name string) string {
	if strings.EqualFold(name, "host") {
		host := r.Host
		if host == "" {
			host = r.URL.Host
		}
		return collapseSpaces(host)
	}
	key := textproto.CanonicalMIMEHeaderKey(name)
	values := r.Header[key]
	for k, vs := range r.Header { // fields stored under a non-canonical key by a client-side caller
		if k != key && strings.EqualFold(k, name) {
			values = append(values[:len(values):len(values)], vs...)
		}
	}
	if len(values) == 0 {
		// net/http moves these out of Header on either side.
		switch key {
		case "Content-Length":
			if r.ContentLength > 0 {
				return strconv.FormatInt(r.ContentLength, 10)
			}
		case "Transfer-Encoding":
			values = r.TransferEncoding
		}
	}
	var b strings.Builder
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strings.TrimSpace(collapseSpaces(v)))
	}
	return b.String()
}

// collapseSpaces trims leading and trailing spaces and turns each run of spaces into one, as
// aws-sdk-go-v2 does (only ' ', not tabs).
func collapseSpaces(s string) string {
	s = strings.Trim(s, " ")
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' && i > 0 && s[i-1] == ' ' {
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// payloadHash is X-Amz-Content-Sha256 if present, else the hex SHA-256 of body. A hash in the
// header must be the body's: the signature covers the header, not the body.
func payloadHash(r *http.Request, body []byte) (string, *Error) {
	h := r.Header.Get(headerContentSHA256)
	if h == UnsignedPayload {
		return h, nil
	}
	sum := sha256.Sum256(body)
	if h == "" {
		return hex.EncodeToString(sum[:]), nil
	}
	got, err := hex.DecodeString(h)
	if err != nil || len(got) != sha256.Size {
		return "", newError(TypeInvalidSignature,
			"x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.")
	}
	if string(got) != string(sum[:]) {
		return "", newError(TypeInvalidSignature,
			"The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	return h, nil
}

// escape percent-encodes every byte but the RFC 3986 unreserved characters (and '/' if
// keepSlash), with upper-case hex: SigV4's URI encoding.
func escape(s string, keepSlash bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && (s[i] != '/' || !keepSlash) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hexUpper = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (c == '/' && keepSlash) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexUpper[c>>4], hexUpper[c&15])
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
