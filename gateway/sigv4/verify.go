package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// Algorithm is the only signing algorithm accepted.
	Algorithm = "AWS4-HMAC-SHA256"
	// UnsignedPayload in X-Amz-Content-Sha256 leaves the body out of the signature.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// DefaultService is the signing name of the Lambda API.
	DefaultService = "lambda"
	// DefaultMaxSkew is how far X-Amz-Date may be from the clock, either way (AWS: 5 minutes).
	DefaultMaxSkew = 5 * time.Minute
	// MaxPresignExpiry is the largest X-Amz-Expires accepted (7 days, in seconds 604800).
	MaxPresignExpiry = 7 * 24 * time.Hour

	timeFormat = "20060102T150405Z"
	dateFormat = "20060102"
	terminator = "aws4_request"

	headerAuthorization = "Authorization"
	headerDate          = "X-Amz-Date"
	headerContentSHA256 = "X-Amz-Content-Sha256"
	headerSecurityToken = "X-Amz-Security-Token"

	queryAlgorithm     = "X-Amz-Algorithm"
	queryCredential    = "X-Amz-Credential"
	queryDate          = "X-Amz-Date"
	queryExpires       = "X-Amz-Expires"
	querySignedHeaders = "X-Amz-SignedHeaders"
	querySignature     = "X-Amz-Signature"
	querySecurityToken = "X-Amz-Security-Token"

	// dummySecret stands in for the secret of an unknown key, so that refusing it costs the same
	// key derivation and comparison as refusing a bad signature. Whatever it signs is refused.
	dummySecret = "lambdock-sigv4-dummy-secret-for-unknown-keys"
)

// KeyLookup finds the secret access key of an access key ID.
type KeyLookup interface {
	// SecretFor returns the secret of accessKeyID, ErrUnknownKey (possibly wrapped) if the key
	// does not exist or is disabled, or another error if the lookup itself failed (Verify then
	// returns that error wrapped, not an *Error, so the caller can answer 500).
	SecretFor(ctx context.Context, accessKeyID string) (secret string, err error)
}

// KeyLookupFunc adapts a function to KeyLookup.
type KeyLookupFunc func(ctx context.Context, accessKeyID string) (string, error)

// SecretFor calls f.
func (f KeyLookupFunc) SecretFor(ctx context.Context, accessKeyID string) (string, error) {
	return f(ctx, accessKeyID)
}

// Verifier checks SigV4 signatures for one region and service. Region and Keys are required; the
// zero values of the other fields mean DefaultService, time.Now and DefaultMaxSkew. A Verifier is
// safe for concurrent use once set up.
type Verifier struct {
	// Region the credential scope must name, e.g. "us-east-1".
	Region string
	// Service the credential scope must name; "" means DefaultService ("lambda").
	Service string
	// Keys resolves access key IDs to secrets.
	Keys KeyLookup
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxSkew is how far X-Amz-Date may be from Now, either way; 0 means DefaultMaxSkew.
	MaxSkew time.Duration
	// SigningKeys, when set, caches the signing keys derived from known secrets (shared by the
	// copies of a Verifier); nil derives them for every request.
	SigningKeys *SigningKeys
}

// signedRequest is what the Authorization header or the presigned query says about the request.
type signedRequest struct {
	presigned     bool
	accessKeyID   string
	scope         string // date/region/service/aws4_request, as sent
	amzDate       string // X-Amz-Date, as sent
	date          time.Time
	expires       time.Duration // X-Amz-Expires of a presigned request; -1 if absent
	signedHeaders string        // as sent, e.g. "host;x-amz-date"
	signature     string
	securityToken string
}

// Verify checks the signature of r, whose body the caller has already read into body (the
// request's Body is not touched). It returns the access key ID that signed the request, an
// *Error when the request is not authentic, or another error when the KeyLookup failed or the
// Verifier is not set up.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (accessKeyID string, err error) {
	sr, err := v.parse(r)
	if err != nil {
		return "", err
	}
	canonical, e := canonicalRequest(r, body, sr)
	if e != nil {
		return "", e
	}

	secret, unknown := dummySecret, true
	if sr.accessKeyID != "" {
		s, err := v.Keys.SecretFor(ctx, sr.accessKeyID)
		switch {
		case err == nil:
			secret, unknown = s, false
		case !errors.Is(err, ErrUnknownKey):
			return "", fmt.Errorf("sigv4: looking up access key: %w", err)
		}
	}
	var key []byte
	if unknown {
		key = deriveKey(secret, sr.scope) // never cached: see SigningKeys
	} else {
		key = v.SigningKeys.key(secret, sr.scope)
	}
	expected := signWithKey(key, sr.scope, sr.amzDate, canonical)
	match := hmac.Equal([]byte(expected), []byte(sr.signature))
	if unknown {
		return "", errUnrecognized()
	}
	if !match {
		return "", errSignatureMismatch()
	}
	return sr.accessKeyID, nil
}

// Precheck runs every check of Verify that needs no body: the form of the signature, its scope
// and date, and that its access key is known. A caller that must read a large body before it can
// Verify calls Precheck first, so that a request that cannot be authentic is refused before its
// body is read. It returns the same errors as Verify; a nil error does not mean the request is
// authentic.
func (v *Verifier) Precheck(ctx context.Context, r *http.Request) error {
	sr, err := v.parse(r)
	if err != nil {
		return err
	}
	if sr.accessKeyID == "" {
		return errUnrecognized()
	}
	if _, err := v.Keys.SecretFor(ctx, sr.accessKeyID); err != nil {
		if errors.Is(err, ErrUnknownKey) {
			return errUnrecognized()
		}
		return fmt.Errorf("sigv4: looking up access key: %w", err)
	}
	return nil
}

// parse reads the signature of r from its Authorization header or its presigned query and checks
// its scope, date and token.
func (v *Verifier) parse(r *http.Request) (*signedRequest, error) {
	if v.Region == "" || v.Keys == nil {
		return nil, errors.New("sigv4: Verifier needs a Region and Keys")
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}

	var sr *signedRequest
	var e *Error
	if auth := r.Header.Get(headerAuthorization); auth != "" {
		sr, e = parseAuthorization(auth, r.Header.Get(headerDate))
		if e == nil {
			sr.securityToken = r.Header.Get(headerSecurityToken)
		}
	} else {
		q, ok := parseQuery(r.URL.RawQuery)
		if !isPresigned(q) {
			return nil, errMissingAuth()
		}
		if !ok {
			return nil, errSignatureMismatch() // a pair that does not parse cannot be signed
		}
		sr, e = parsePresigned(q)
	}
	if e != nil {
		return nil, e
	}
	if e := v.checkScope(sr); e != nil {
		return nil, e
	}
	if e := checkTime(sr, now().UTC(), skew); e != nil {
		return nil, e
	}
	if sr.securityToken != "" {
		return nil, errUnrecognized() // no session credentials are issued here
	}
	return sr, nil
}

// parseAuthorization reads "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…".
func parseAuthorization(auth, amzDate string) (*signedRequest, *Error) {
	alg, params, _ := strings.Cut(strings.TrimSpace(auth), " ")
	if alg != Algorithm && strings.HasPrefix(alg, "AWS") {
		return nil, newError(TypeIncompleteSignature, "Unsupported AWS 'algorithm': '%s'.", quote(alg))
	}
	if alg != Algorithm {
		params = "" // not SigV4 at all (e.g. a bearer token): every parameter is missing
	}
	var credential, signedHeaders, sig string
	var haveCredential, haveSignedHeaders, haveSignature bool
	for part := range strings.SplitSeq(params, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, value, ok := strings.Cut(part, "=")
		if !ok {
			return nil, newError(TypeIncompleteSignature,
				"'%s' not a valid key=value pair (missing equal-sign) in Authorization header.", quote(part))
		}
		switch key {
		case "Credential":
			credential, haveCredential = value, true
		case "SignedHeaders":
			signedHeaders, haveSignedHeaders = value, true
		case "Signature":
			sig, haveSignature = value, true
		}
	}
	var missing []string
	if !haveCredential {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if !haveSignature {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if !haveSignedHeaders {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if amzDate == "" {
		missing = append(missing, "Authorization header requires existence of a 'X-Amz-Date' header.")
	}
	if len(missing) > 0 {
		return nil, newError(TypeIncompleteSignature, "%s", strings.Join(missing, " "))
	}
	sr := &signedRequest{signedHeaders: signedHeaders, signature: sig, amzDate: amzDate, expires: -1}
	if e := sr.setCredential(credential); e != nil {
		return nil, e
	}
	return sr, nil
}

// isPresigned reports whether the query carries any of the presigned-request parameters.
func isPresigned(q url.Values) bool {
	for _, p := range []string{queryAlgorithm, queryCredential, querySignature, querySignedHeaders} {
		if _, ok := q[p]; ok {
			return true
		}
	}
	return false
}

// parsePresigned reads the X-Amz-* parameters of a presigned request.
func parsePresigned(q url.Values) (*signedRequest, *Error) {
	var missing []string
	one := func(name string, required bool) (string, *Error) {
		switch vs := q[name]; len(vs) {
		case 0:
			if required {
				missing = append(missing, fmt.Sprintf("AWS query-string parameters must include '%s'.", name))
			}
			return "", nil
		case 1:
			return vs[0], nil
		default:
			return "", newError(TypeIncompleteSignature, "AWS query-string parameter '%s' must appear once.", name)
		}
	}
	var vals [7]string
	for i, p := range []struct {
		name     string
		required bool
	}{
		{queryAlgorithm, true}, {queryCredential, true}, {querySignature, true},
		{querySignedHeaders, true}, {queryDate, true}, {queryExpires, false}, {querySecurityToken, false},
	} {
		v, e := one(p.name, p.required)
		if e != nil {
			return nil, e
		}
		vals[i] = v
	}
	if len(missing) > 0 {
		return nil, newError(TypeIncompleteSignature, "%s Re-examine the query-string parameters.",
			strings.Join(missing, " "))
	}
	alg, credential, sig, signedHeaders, amzDate, expires, token := vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6]
	if alg != Algorithm {
		return nil, newError(TypeIncompleteSignature, "Unsupported AWS 'algorithm': '%s'.", quote(alg))
	}
	sr := &signedRequest{presigned: true, signedHeaders: signedHeaders, signature: sig, amzDate: amzDate,
		expires: -1, securityToken: token}
	if _, ok := q[queryExpires]; ok {
		n, err := strconv.ParseInt(expires, 10, 64)
		if err != nil || n < 0 {
			return nil, newError(TypeIncompleteSignature, "X-Amz-Expires must be a non-negative number of seconds.")
		}
		if n > int64(MaxPresignExpiry/time.Second) {
			return nil, newError(TypeIncompleteSignature,
				"X-Amz-Expires must be less than a week (in seconds) that is %d", int64(MaxPresignExpiry/time.Second))
		}
		sr.expires = time.Duration(n) * time.Second
	}
	if e := sr.setCredential(credential); e != nil {
		return nil, e
	}
	return sr, nil
}

// setCredential splits "AKID/20150830/us-east-1/lambda/aws4_request" and parses X-Amz-Date.
func (sr *signedRequest) setCredential(credential string) *Error {
	akid, scope, _ := strings.Cut(credential, "/")
	if strings.Count(credential, "/") != 4 {
		return newError(TypeIncompleteSignature,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'",
			quote(credential))
	}
	sr.accessKeyID, sr.scope = akid, scope
	d, err := time.Parse(timeFormat, sr.amzDate)
	if err != nil || d.Format(timeFormat) != sr.amzDate {
		return newError(TypeIncompleteSignature,
			"X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\", got '%s'.", quote(sr.amzDate))
	}
	sr.date = d
	return nil
}

// checkScope checks the credential scope against the Verifier and X-Amz-Date, and that Host is
// signed.
func (v *Verifier) checkScope(sr *signedRequest) *Error {
	service := v.Service
	if service == "" {
		service = DefaultService
	}
	parts := strings.Split(sr.scope, "/") // four parts, as setCredential checked
	date, region, svc, term := parts[0], parts[1], parts[2], parts[3]
	if term != terminator {
		return newError(TypeInvalidSignature, "Credential should be scoped with a valid terminator: '%s', not '%s'.",
			terminator, quote(term))
	}
	if region != v.Region {
		return newError(TypeInvalidSignature, "Credential should be scoped to a valid region, not '%s'.", quote(region))
	}
	if svc != service {
		return newError(TypeInvalidSignature, "Credential should be scoped to correct service: '%s'.", service)
	}
	if want := sr.amzDate[:len(dateFormat)]; date != want {
		return newError(TypeInvalidSignature,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			quote(date), want, sr.amzDate)
	}
	hostSigned := false
	for h := range strings.SplitSeq(sr.signedHeaders, ";") {
		if strings.EqualFold(h, "host") {
			hostSigned = true
		}
	}
	if !hostSigned {
		return newError(TypeIncompleteSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return nil
}

// checkTime refuses a date more than skew away from now, or a presigned request past its
// X-Amz-Expires.
func checkTime(sr *signedRequest, now time.Time, skew time.Duration) *Error {
	if sr.date.After(now.Add(skew)) {
		return errNotYetCurrent(sr.date, now, skew)
	}
	window := skew
	if sr.presigned && sr.expires >= 0 {
		window = sr.expires
	}
	if sr.date.Before(now.Add(-window)) {
		return errExpired(sr.date, now, window)
	}
	return nil
}

// signature derives the signing key from secret and signs the string to sign of canonical.
func signature(secret, scope, amzDate, canonical string) string {
	return signWithKey(deriveKey(secret, scope), scope, amzDate, canonical)
}

// signWithKey signs the string to sign of canonical with a derived signing key.
func signWithKey(key []byte, scope, amzDate, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	var sts strings.Builder
	sts.Grow(len(Algorithm) + len(amzDate) + len(scope) + 3 + hex.EncodedLen(len(sum)))
	sts.WriteString(Algorithm)
	sts.WriteByte('\n')
	sts.WriteString(amzDate)
	sts.WriteByte('\n')
	sts.WriteString(scope)
	sts.WriteByte('\n')
	sts.WriteString(hex.EncodeToString(sum[:]))
	return hex.EncodeToString(hmacSHA256(key, sts.String()))
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data)) // hash.Hash.Write never returns an error
	return h.Sum(nil)
}
