package sigv4_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/lambdock/lambdock/gateway/sigv4"
)

// With a signing-key cache, Verify accepts and refuses exactly what it does without one, again
// and again (the second request of a key uses the cached key).
func TestVerifyWithSigningKeys(t *testing.T) {
	ctx := context.Background()
	v := testVerifier()
	v.SigningKeys = sigv4.NewSigningKeys(0)
	for _, tt := range []struct {
		name string
		cred aws.Credentials
		want error // nil: accepted
	}{
		{"good", testCred, nil},
		{"wrong secret", aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "wrong"}, &sigv4.Error{}},
		{"unknown key", aws.Credentials{AccessKeyID: "AKIAUNKNOWN", SecretAccessKey: "x"}, &sigv4.Error{}},
	} {
		for i := range 3 {
			r := invokeCase.newRequest(t, "https://lambda.us-east-1.amazonaws.com")
			signHTTP(t, r, invokeCase.payloadHash(), tt.cred, "lambda", testRegion, signTime)
			id, err := v.Verify(ctx, r, invokeCase.body)
			var authErr *sigv4.Error
			switch {
			case tt.want == nil && (err != nil || id != testAKID):
				t.Errorf("%s, request %d: %q, %v; want accepted", tt.name, i, id, err)
			case tt.want != nil && !errors.As(err, &authErr):
				t.Errorf("%s, request %d: %v; want refused", tt.name, i, err)
			}
		}
	}
}
