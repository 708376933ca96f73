package sigv4_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/lambdock/lambdock/gateway/sigv4"
)

const msgMismatch = "The request signature we calculated does not match the signature you provided. " +
	"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

var (
	invokeCase = caseNamed("invoke")               // POST, JSON body, signed Content-Type and X-Amz-* headers
	listCase   = caseNamed("list functions paged") // GET ?Marker=x&MaxItems=10
)

func caseNamed(name string) signCase {
	for _, c := range signCases {
		if c.name == name {
			return c
		}
	}
	panic("no sign case " + name)
}

// signed returns c's request signed by the SDK with cred, for service and region, at signTime.
func signed(t *testing.T, c signCase, cred aws.Credentials, service, region string) (*http.Request, []byte) {
	r := c.newRequest(t, "https://lambda.us-east-1.amazonaws.com")
	signHTTP(t, r, c.payloadHash(), cred, service, region, signTime)
	return r, c.body
}

func good(t *testing.T, c signCase) (*http.Request, []byte) {
	return signed(t, c, testCred, "lambda", testRegion)
}

func presigned(t *testing.T, c signCase, cred aws.Credentials, expires time.Duration) (*http.Request, []byte) {
	r := c.newRequest(t, "https://lambda.us-east-1.amazonaws.com")
	return presignHTTPWith(t, r, c.payloadHash(), c.body, cred, expires, signTime), c.body
}

// setAuth rewrites one parameter of the Authorization header.
func setAuth(r *http.Request, old, new string) {
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
}

// setQuery rewrites the raw query of r.
func setQuery(r *http.Request, old, new string) {
	r.URL.RawQuery = strings.Replace(r.URL.RawQuery, old, new, 1)
}

func TestVerifyRejects(t *testing.T) {
	const scope = "/20260102/us-east-1/lambda/aws4_request"
	cases := []struct {
		name  string
		build func(t *testing.T) (*http.Request, []byte)
		now   time.Duration // clock offset from signTime
		typ   string        // "" means the request must verify
		msg   string        // exact message; "" means not checked
	}{
		// Header form.
		{name: "unsigned", build: func(t *testing.T) (*http.Request, []byte) {
			return invokeCase.newRequest(t, "https://lambda.us-east-1.amazonaws.com"), invokeCase.body
		}, typ: sigv4.TypeMissingAuthentication, msg: "Missing Authentication Token"},
		{name: "unknown key", build: func(t *testing.T) (*http.Request, []byte) {
			return signed(t, invokeCase, aws.Credentials{AccessKeyID: "AKIAUNKNOWN", SecretAccessKey: testSecret}, "lambda", testRegion)
		}, typ: sigv4.TypeUnrecognizedClient, msg: "The security token included in the request is invalid."},
		{name: "wrong secret", build: func(t *testing.T) (*http.Request, []byte) {
			return signed(t, invokeCase, aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "not-the-secret"}, "lambda", testRegion)
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "expired date", build: func(t *testing.T) (*http.Request, []byte) { return good(t, invokeCase) },
			now: 5*time.Minute + time.Second, typ: sigv4.TypeInvalidSignature,
			msg: "Signature expired: 20260102T030405Z is now earlier than 20260102T030406Z (20260102T030906Z - 5 min.)"},
		{name: "date at the past edge of the skew", build: func(t *testing.T) (*http.Request, []byte) { return good(t, invokeCase) },
			now: 5 * time.Minute},
		{name: "future date", build: func(t *testing.T) (*http.Request, []byte) { return good(t, invokeCase) },
			now: -5*time.Minute - time.Second, typ: sigv4.TypeInvalidSignature,
			msg: "Signature not yet current: 20260102T030405Z is still later than 20260102T030404Z (20260102T025904Z + 5 min.)"},
		{name: "date at the future edge of the skew", build: func(t *testing.T) (*http.Request, []byte) { return good(t, invokeCase) },
			now: -5 * time.Minute},
		{name: "tampered body", build: func(t *testing.T) (*http.Request, []byte) {
			r, _ := good(t, invokeCase)
			return r, []byte(`{"hello":"World"}`)
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "tampered body under a payload hash header", build: func(t *testing.T) (*http.Request, []byte) {
			r, _ := good(t, caseNamed("invoke payload hash header"))
			return r, []byte(`{"x":1}`)
		}, typ: sigv4.TypeInvalidSignature, msg: "The provided 'x-amz-content-sha256' header does not match what was computed."},
		{name: "payload hash header neither hash nor UNSIGNED-PAYLOAD", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, caseNamed("invoke payload hash header"))
			r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
			return r, b
		}, typ: sigv4.TypeInvalidSignature, msg: "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value."},
		{name: "payload hash header switched to UNSIGNED-PAYLOAD", build: func(t *testing.T) (*http.Request, []byte) {
			r, _ := good(t, caseNamed("invoke payload hash header"))
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			return r, []byte(`{"x":1}`)
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "tampered body under UNSIGNED-PAYLOAD is accepted (the body is not signed)",
			build: func(t *testing.T) (*http.Request, []byte) {
				r, _ := good(t, caseNamed("invoke unsigned payload"))
				return r, []byte("anything")
			}},
		{name: "tampered signed header", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			r.Header.Set("X-Amz-Invocation-Type", "Event")
			return r, b
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "signed header removed", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			r.Header.Del("Content-Type")
			return r, b
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "signed header repeated", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			r.Header.Add("X-Amz-Log-Type", "None")
			return r, b
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "unsigned header changed is accepted", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			r.Header.Set("User-Agent", "something else")
			return r, b
		}},
		{name: "tampered X-Amz-Date within the skew", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			r.Header.Set("X-Amz-Date", "20260102T030406Z")
			return r, b
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "tampered query value", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, listCase)
			setQuery(r, "MaxItems=10", "MaxItems=11")
			return r, b
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "query pair added", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, listCase)
			r.URL.RawQuery += "&FunctionVersion=ALL"
			return r, b
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "query pair that does not parse added", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, listCase)
			r.URL.RawQuery += "&%zz=1"
			return r, b
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "query pair with ; added", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, listCase)
			r.URL.RawQuery += ";x=1"
			return r, b
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "tampered method", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, caseNamed("delete function"))
			r.Method = "GET"
			return r, b
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "tampered path", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			r.URL.Path = strings.Replace(r.URL.Path, "my-fn", "my-fo", 1)
			return r, b
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "path escaped differently", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, caseNamed("invoke qualified ARN escaped")) // arn%3Aaws%3A…
			r.URL.RawPath = ""                                         // now sent as arn:aws:…, which decodes the same
			return r, b
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "tampered host", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			r.Host = "lambda.us-west-2.amazonaws.com"
			return r, b
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "wrong region", build: func(t *testing.T) (*http.Request, []byte) {
			return signed(t, invokeCase, testCred, "lambda", "us-west-2")
		}, typ: sigv4.TypeInvalidSignature, msg: "Credential should be scoped to a valid region, not 'us-west-2'."},
		{name: "wrong service", build: func(t *testing.T) (*http.Request, []byte) {
			return signed(t, invokeCase, testCred, "s3", testRegion)
		}, typ: sigv4.TypeInvalidSignature, msg: "Credential should be scoped to correct service: 'lambda'."},
		{name: "wrong terminator", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			setAuth(r, "/aws4_request", "/aws5_request")
			return r, b
		}, typ: sigv4.TypeInvalidSignature,
			msg: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."},
		{name: "scope date is not X-Amz-Date's", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			setAuth(r, "/20260102/", "/20260103/")
			return r, b
		}, typ: sigv4.TypeInvalidSignature,
			msg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: " +
				"'20260103' != '20260102', from '20260102T030405Z'."},
		{name: "credential with four elements", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			setAuth(r, "/lambda/", "/")
			return r, b
		}, typ: sigv4.TypeIncompleteSignature,
			msg: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" +
				testAKID + "/20260102/us-east-1/aws4_request'"},
		{name: "malformed header: missing equal sign", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			setAuth(r, "Credential=", "Credential ")
			return r, b
		}, typ: sigv4.TypeIncompleteSignature,
			msg: "'Credential " + testAKID + scope + "' not a valid key=value pair (missing equal-sign) in Authorization header."},
		{name: "malformed header: a long part is cut short in the message", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 "+strings.Repeat("ሴ", 200))
			return r, b
		}, typ: sigv4.TypeIncompleteSignature,
			msg: "'" + strings.Repeat("ሴ", 42) + "…' not a valid key=value pair (missing equal-sign) in Authorization header."},
		{name: "malformed header: no Signature", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			h := r.Header.Get("Authorization")
			r.Header.Set("Authorization", h[:strings.Index(h, ", Signature=")])
			return r, b
		}, typ: sigv4.TypeIncompleteSignature, msg: "Authorization header requires 'Signature' parameter."},
		{name: "malformed header: a bearer token", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			r.Header.Set("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x")
			return r, b
		}, typ: sigv4.TypeIncompleteSignature,
			msg: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter."},
		{name: "unsupported algorithm", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			setAuth(r, "AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA1 ")
			return r, b
		}, typ: sigv4.TypeIncompleteSignature, msg: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1'."},
		{name: "missing X-Amz-Date", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			r.Header.Del("X-Amz-Date")
			return r, b
		}, typ: sigv4.TypeIncompleteSignature, msg: "Authorization header requires existence of a 'X-Amz-Date' header."},
		{name: "X-Amz-Date not in the long ISO 8601 format", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			r.Header.Set("X-Amz-Date", "2026-01-02T03:04:05Z")
			return r, b
		}, typ: sigv4.TypeIncompleteSignature,
			msg: "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\", got '2026-01-02T03:04:05Z'."},
		{name: "host not signed", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := good(t, invokeCase)
			setAuth(r, "SignedHeaders=", "SignedHeaders=x-amz-date;")
			setAuth(r, "content-type;host;", "content-type;")
			return r, b
		}, typ: sigv4.TypeIncompleteSignature,
			msg: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "session token", build: func(t *testing.T) (*http.Request, []byte) {
			cred := testCred
			cred.SessionToken = "FwoGZXIvYXdzEJr//////////wEaDHe4"
			return signed(t, invokeCase, cred, "lambda", testRegion)
		}, typ: sigv4.TypeUnrecognizedClient, msg: "The security token included in the request is invalid."},

		// Presigned form.
		{name: "presigned: expired", build: func(t *testing.T) (*http.Request, []byte) {
			return presigned(t, listCase, testCred, 10*time.Minute)
		}, now: 10*time.Minute + time.Second, typ: sigv4.TypeInvalidSignature,
			msg: "Signature expired: 20260102T030405Z is now earlier than 20260102T030406Z (20260102T031406Z - 10 min.)"},
		{name: "presigned: at expiry", build: func(t *testing.T) (*http.Request, []byte) {
			return presigned(t, listCase, testCred, 10*time.Minute)
		}, now: 10 * time.Minute},
		{name: "presigned: future", build: func(t *testing.T) (*http.Request, []byte) {
			return presigned(t, listCase, testCred, 10*time.Minute)
		}, now: -5*time.Minute - time.Second, typ: sigv4.TypeInvalidSignature,
			msg: "Signature not yet current: 20260102T030405Z is still later than 20260102T030404Z (20260102T025904Z + 5 min.)"},
		{name: "presigned: expiry over 7 days", build: func(t *testing.T) (*http.Request, []byte) {
			return presigned(t, listCase, testCred, 7*24*time.Hour+time.Second)
		}, typ: sigv4.TypeIncompleteSignature, msg: "X-Amz-Expires must be less than a week (in seconds) that is 604800"},
		{name: "presigned: expiry of 7 days", build: func(t *testing.T) (*http.Request, []byte) {
			return presigned(t, listCase, testCred, 7*24*time.Hour)
		}, now: 7 * 24 * time.Hour},
		{name: "presigned: X-Amz-Expires not a number", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := presigned(t, listCase, testCred, 10*time.Minute)
			setQuery(r, "X-Amz-Expires=600", "X-Amz-Expires=ten")
			return r, b
		}, typ: sigv4.TypeIncompleteSignature, msg: "X-Amz-Expires must be a non-negative number of seconds."},
		{name: "presigned: X-Amz-Expires raised", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := presigned(t, listCase, testCred, 10*time.Minute)
			setQuery(r, "X-Amz-Expires=600", "X-Amz-Expires=6000")
			return r, b
		}, now: time.Hour, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "presigned: no X-Amz-Expires, past the skew", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := presigned(t, listCase, testCred, 10*time.Minute)
			setQuery(r, "X-Amz-Expires=600&", "")
			return r, b
		}, now: 5*time.Minute + time.Second, typ: sigv4.TypeInvalidSignature,
			msg: "Signature expired: 20260102T030405Z is now earlier than 20260102T030406Z (20260102T030906Z - 5 min.)"},
		{name: "presigned: no X-Amz-Signature", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := presigned(t, listCase, testCred, 10*time.Minute)
			r.URL.RawQuery = r.URL.RawQuery[:strings.Index(r.URL.RawQuery, "&X-Amz-Signature=")]
			return r, b
		}, typ: sigv4.TypeIncompleteSignature,
			msg: "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters."},
		{name: "presigned: X-Amz-Signature twice", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := presigned(t, listCase, testCred, 10*time.Minute)
			r.URL.RawQuery += "&X-Amz-Signature=00"
			return r, b
		}, typ: sigv4.TypeIncompleteSignature, msg: "AWS query-string parameter 'X-Amz-Signature' must appear once."},
		{name: "presigned: tampered signature", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := presigned(t, listCase, testCred, 10*time.Minute)
			r.URL.RawQuery = r.URL.RawQuery[:len(r.URL.RawQuery)-1] + "x"
			return r, b
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "presigned: tampered query", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := presigned(t, listCase, testCred, 10*time.Minute)
			setQuery(r, "Marker=x", "Marker=y")
			return r, b
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "presigned: tampered body", build: func(t *testing.T) (*http.Request, []byte) {
			r, _ := presigned(t, invokeCase, testCred, 10*time.Minute)
			return r, []byte("{}")
		}, typ: sigv4.TypeInvalidSignature, msg: msgMismatch},
		{name: "presigned: unknown key", build: func(t *testing.T) (*http.Request, []byte) {
			return presigned(t, listCase, aws.Credentials{AccessKeyID: "AKIAUNKNOWN", SecretAccessKey: "x"}, 10*time.Minute)
		}, typ: sigv4.TypeUnrecognizedClient, msg: "The security token included in the request is invalid."},
		{name: "presigned: session token", build: func(t *testing.T) (*http.Request, []byte) {
			cred := testCred
			cred.SessionToken = "token"
			return presigned(t, listCase, cred, 10*time.Minute)
		}, typ: sigv4.TypeUnrecognizedClient, msg: "The security token included in the request is invalid."},
		{name: "presigned: unsupported algorithm", build: func(t *testing.T) (*http.Request, []byte) {
			r, b := presigned(t, listCase, testCred, 10*time.Minute)
			setQuery(r, "X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256")
			return r, b
		}, typ: sigv4.TypeIncompleteSignature, msg: "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, body := c.build(t)
			v := testVerifier()
			v.Now = func() time.Time { return signTime.Add(c.now) }
			akid, err := v.Verify(context.Background(), r, body)
			if c.typ == "" {
				if err != nil || akid != testAKID {
					t.Fatalf("Verify = %q, %v; want %q", akid, err, testAKID)
				}
				return
			}
			if akid != "" {
				t.Errorf("Verify returned access key %q with an error", akid)
			}
			e := wantType(t, err, c.typ)
			if c.msg != "" && e.Message != c.msg {
				t.Errorf("message:\n got %q\nwant %q", e.Message, c.msg)
			}
			assertNoSecrets(t, e)
		})
	}
}

var hexRun = regexp.MustCompile(`[0-9a-fA-F]{64}`)

// assertNoSecrets fails if an error message carries a secret or anything shaped like a signature
// or signing key (64 hex digits).
func assertNoSecrets(t *testing.T, e *sigv4.Error) {
	t.Helper()
	for _, s := range []string{testSecret, "not-the-secret"} {
		if strings.Contains(e.Error(), s) {
			t.Errorf("error message carries a secret: %q", e.Error())
		}
	}
	if hexRun.MatchString(e.Error()) {
		t.Errorf("error message carries a 64-digit hex value: %q", e.Error())
	}
}

func TestVerifyLookupFailure(t *testing.T) {
	down := errors.New("database is down")
	v := testVerifier()
	v.Keys = sigv4.KeyLookupFunc(func(context.Context, string) (string, error) { return "", down })
	r, body := good(t, invokeCase)
	_, err := v.Verify(context.Background(), r, body)
	var e *sigv4.Error
	if !errors.Is(err, down) || errors.As(err, &e) {
		t.Fatalf("err = %v, want the lookup's error, not an *Error", err)
	}

	// A wrapped ErrUnknownKey is an unknown key.
	v.Keys = sigv4.KeyLookupFunc(func(context.Context, string) (string, error) {
		return "", errors.Join(sigv4.ErrUnknownKey, errors.New("disabled on 2026-01-01"))
	})
	_, err = v.Verify(context.Background(), r, body)
	wantType(t, err, sigv4.TypeUnrecognizedClient)
}

func TestVerifierNotSetUp(t *testing.T) {
	r, body := good(t, invokeCase)
	for _, v := range []*sigv4.Verifier{{Keys: testKeys}, {Region: testRegion}} {
		_, err := v.Verify(context.Background(), r, body)
		var e *sigv4.Error
		if err == nil || errors.As(err, &e) {
			t.Errorf("%+v: err = %v, want a set-up error", v, err)
		}
	}
}

func TestVerifyDefaults(t *testing.T) {
	// Service "" means lambda; the zero MaxSkew means 5 minutes; Now nil means the real clock.
	r := invokeCase.newRequest(t, "https://lambda.us-east-1.amazonaws.com")
	signHTTP(t, r, invokeCase.payloadHash(), testCred, "lambda", testRegion, time.Now().Add(-4*time.Minute))
	v := &sigv4.Verifier{Region: testRegion, Keys: testKeys}
	if akid, err := v.Verify(context.Background(), r, invokeCase.body); err != nil || akid != testAKID {
		t.Fatalf("Verify = %q, %v", akid, err)
	}
	v.MaxSkew = time.Minute
	_, err := v.Verify(context.Background(), r, invokeCase.body)
	e := wantType(t, err, sigv4.TypeInvalidSignature)
	if !strings.HasSuffix(e.Message, " - 1 min.)") {
		t.Errorf("message %q does not name the 1 min. skew", e.Message)
	}
}
