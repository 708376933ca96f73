package lambdaclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// DefaultRegion is the region requests are signed for when none is given; a gateway verifies
// the region of its configuration (us-east-1 unless changed).
const DefaultRegion = "us-east-1"

// signingService is the SigV4 signing name of the Lambda API.
const signingService = "lambda"

// Credentials are an access key: its ID and secret.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
}

// signer signs requests with SigV4 for one key and region.
type signer struct {
	creds  aws.Credentials
	region string
	v4     *v4.Signer
}

// WithCredentials signs every request with SigV4 (service lambda) for region ("" means
// DefaultRegion). Without it requests go unsigned, which only a gateway with authentication
// off accepts.
func WithCredentials(creds Credentials, region string) Option {
	return func(c *Client) {
		if region == "" {
			region = DefaultRegion
		}
		c.signer = &signer{
			creds:  aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey},
			region: region,
			v4:     v4.NewSigner(),
		}
	}
}

// sign adds the Authorization, X-Amz-Date and X-Amz-Content-Sha256 headers for body.
func (s *signer) sign(ctx context.Context, req *http.Request, body []byte) error {
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := s.v4.SignHTTP(ctx, s.creds, req, hash, signingService, s.region, time.Now()); err != nil {
		return fmt.Errorf("lambdaclient: sign %s %s: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

// SigningTransport is an http.RoundTripper that signs every request with SigV4 (service lambda)
// before handing it to Base (nil: http.DefaultTransport). It reads the request body to hash it
// (and sends a copy), so a body should be small enough to hold in memory, as Lambda's are.
type SigningTransport struct {
	Credentials Credentials
	Region      string // "" means DefaultRegion
	Base        http.RoundTripper
}

// RoundTrip signs a clone of r and sends it.
func (t *SigningTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		_ = r.Body.Close() // the transport owns the body; it is replaced by the copy below
		if err != nil {
			return nil, fmt.Errorf("lambdaclient: read body to sign: %w", err)
		}
		body = b
	}
	out := r.Clone(r.Context())
	out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	if body == nil {
		out.Body = http.NoBody
	}
	region := t.Region
	if region == "" {
		region = DefaultRegion
	}
	s := &signer{creds: aws.Credentials{AccessKeyID: t.Credentials.AccessKeyID, SecretAccessKey: t.Credentials.SecretAccessKey},
		region: region, v4: v4.NewSigner()}
	if err := s.sign(r.Context(), out, body); err != nil {
		return nil, err
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(out)
}
