package lambdaclient

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
