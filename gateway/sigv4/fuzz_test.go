package sigv4_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/lambdock/lambdock/gateway/sigv4"
)

// FuzzVerify has aws-sdk-go-v2 sign (or presign) a request made of the fuzzed method, path, query,
// one header and body, and checks that:
//
//   - Verify accepts what the SDK signed: the canonical forms agree for any input;
//   - one change to what was signed (a signature digit, the body, the method, the path, the
//     header, the query, or the clock past the window) is refused as InvalidSignatureException;
//   - unsigned input with the fuzzed strings as Authorization and X-Amz-Date never verifies;
//   - nothing panics.
//
// The seed corpus is in testdata/fuzz/FuzzVerify and runs with every go test.
func FuzzVerify(f *testing.F) {
	f.Add("POST", "/2015-03-31/functions/my-fn/invocations", "", "Invocation-Type", "Event",
		[]byte(`{"a":1}`), false, false, uint8(0), uint16(0))
	f.Add("GET", "/2015-03-31/functions/", "Marker=x&MaxItems=10", "A", "  a   b ", []byte(nil), false, true,
		uint8(5), uint16(3))
	f.Fuzz(func(t *testing.T, method, path, query, hname, hvalue string, body []byte,
		unsigned, presign bool, mutation uint8, pos uint16) {
		ctx := context.Background()
		v := testVerifier()

		// Unsigned input never verifies, whatever it claims.
		forged := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: query}, Host: "h",
			Header: http.Header{"Authorization": {hvalue}, "X-Amz-Date": {hname}}}
		if akid, err := v.Verify(ctx, forged, body); err == nil {
			t.Fatalf("forged request verified as %q", akid)
		}
		forged.Header = http.Header{}
		forged.URL.RawQuery = query + "&X-Amz-Signature=" + url.QueryEscape(hvalue)
		if akid, err := v.Verify(ctx, forged, body); err == nil {
			t.Fatalf("forged presigned request verified as %q", akid)
		}

		if presign {
			path = "/" + strings.TrimPrefix(path, "/") // URL.String adds the slash otherwise
			q, _ := url.ParseQuery(query)              // the signer drops what does not parse, too
			for k := range q {
				if len(k) >= 6 && strings.EqualFold(k[:6], "X-Amz-") {
					presign = false // the presigned form owns those names
				}
			}
		}
		name := "X-Fuzz-" + strings.Map(func(r rune) rune {
			if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' {
				return r
			}
			return -1
		}, hname)
		payloadHash := sha256Hex(body)
		r := &http.Request{Method: method, URL: &url.URL{Scheme: "https", Host: "lambda.us-east-1.amazonaws.com",
			Path: path, RawQuery: query}, Header: http.Header{}, ContentLength: int64(len(body))}
		r.Header.Set(name, hvalue)
		if unsigned {
			payloadHash = sigv4.UnsignedPayload
			r.Header.Set("X-Amz-Content-Sha256", payloadHash)
		}
		expires := 15 * time.Minute
		if presign {
			q := r.URL.Query()
			q.Set("X-Amz-Expires", strconv.Itoa(int(expires/time.Second)))
			r.URL.RawQuery = q.Encode()
			signedURL, _, err := v4.NewSigner().PresignHTTP(ctx, testCred, r, payloadHash, "lambda", testRegion, signTime)
			if err != nil {
				t.Fatal(err)
			}
			_, r.URL.RawQuery, _ = strings.Cut(signedURL, "?")
		} else {
			expires = sigv4.DefaultMaxSkew
			signHTTP(t, r, payloadHash, testCred, "lambda", testRegion, signTime)
		}

		if akid, err := v.Verify(ctx, r, body); err != nil || akid != testAKID {
			t.Fatalf("SDK-signed request: Verify = %q, %v\nrequest: %q %q %q %v", akid, err,
				r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header)
		}

		// Change one signed thing; the request must then be refused.
		what := ""
		switch mutation % 7 {
		case 0:
			what = "signature digit"
			if presign {
				r.URL.RawQuery = flipHexAt(r.URL.RawQuery, strings.LastIndex(r.URL.RawQuery, "=")+1, pos)
			} else {
				h := r.Header.Get("Authorization")
				r.Header.Set("Authorization", flipHexAt(h, strings.LastIndex(h, "=")+1, pos))
			}
		case 1:
			if unsigned {
				return // the body is not signed
			}
			what = "body"
			body = append([]byte(nil), body...)
			if len(body) == 0 {
				body = append(body, 'x')
			} else {
				body[int(pos)%len(body)] ^= 1 << (pos % 8)
			}
		case 2:
			what, r.Method = "method", r.Method+"X"
		case 3:
			what, r.URL.Path = "path", r.URL.Path+"x"
		case 4:
			what = "header"
			r.Header.Set(name, hvalue+"x")
		case 5:
			what = "query"
			if r.URL.RawQuery != "" {
				r.URL.RawQuery += "&"
			}
			r.URL.RawQuery += "zz=1"
		case 6:
			what = "clock"
			v.Now = func() time.Time { return signTime.Add(expires + time.Second) }
		}
		akid, err := v.Verify(ctx, r, body)
		var e *sigv4.Error
		if !errors.As(err, &e) || e.Type != sigv4.TypeInvalidSignature {
			t.Fatalf("request with a changed %s: Verify = %q, %v; want %s", what, akid, err, sigv4.TypeInvalidSignature)
		}
	})
}

// flipHexAt changes the hex digit at start+pos%64 of s to another hex digit.
func flipHexAt(s string, start int, pos uint16) string {
	i := start + int(pos)%64
	c := byte('0')
	if s[i] == '0' {
		c = '1'
	}
	return s[:i] + string(c) + s[i+1:]
}
