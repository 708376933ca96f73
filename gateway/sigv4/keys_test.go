package sigv4_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/lambdock/lambdock/gateway/sigv4"
)

// With a signing-key cache, Verify accepts and refuses exactly what it does without one, again
// and again (the second request of a key uses the cached key): the known key's signing key is
// derived once for its nine requests (good or with a wrong secret, both checked against the
// stored secret), the unknown key's never goes in.
func TestVerifyWithSigningKeys(t *testing.T) {
	ctx := context.Background()
	v := testVerifier()
	keys := sigv4.NewSigningKeys(0)
	v.SigningKeys = keys
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
	if n := keys.Derived(); n != 1 {
		t.Errorf("the cache derived %d signing keys, want 1 (then hits)", n)
	}
	if n := keys.Len(); n != 1 {
		t.Errorf("the cache holds %d signing keys, want 1 (the unknown key's is never cached)", n)
	}
}
