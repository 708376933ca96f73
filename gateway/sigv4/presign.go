package sigv4

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Presign returns rawURL (an http or https URL for a GET) with a presigned SigV4 query string
// for accessKeyID and secret, scoped to region and service ("" means DefaultService), dated t
// and valid for expires (at most MaxPresignExpiry). The signature covers the host and the
// empty body, so a plain GET of the URL passes Verify until it expires. The gateway uses it for
// links it hands out on the caller's behalf (GetFunction's Code.Location), as Lambda hands out
// presigned S3 URLs.
func Presign(rawURL, accessKeyID, secret, region, service string, t time.Time, expires time.Duration) (string, error) {
	if service == "" {
		service = DefaultService
	}
	if expires <= 0 || expires > MaxPresignExpiry {
		return "", fmt.Errorf("sigv4: presign expiry %s out of range", expires)
	}
	if accessKeyID == "" || secret == "" || region == "" {
		return "", errors.New("sigv4: presign needs a key, a secret and a region")
	}
	r, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		return "", fmt.Errorf("sigv4: presign: %w", err)
	}
	t = t.UTC()
	amzDate := t.Format(timeFormat)
	scope := strings.Join([]string{t.Format(dateFormat), region, service, terminator}, "/")
	q := r.URL.Query()
	q.Set(queryAlgorithm, Algorithm)
	q.Set(queryCredential, accessKeyID+"/"+scope)
	q.Set(queryDate, amzDate)
	q.Set(queryExpires, strconv.FormatInt(int64(expires/time.Second), 10))
	q.Set(querySignedHeaders, "host")
	r.URL.RawQuery = q.Encode()
	canonical, e := canonicalRequest(r, nil, &signedRequest{presigned: true, signedHeaders: "host"})
	if e != nil {
		return "", e
	}
	q.Set(querySignature, signature(secret, scope, amzDate, canonical))
	r.URL.RawQuery = q.Encode()
	return r.URL.String(), nil
}
