package sigv4_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/lambdock/lambdock/gateway/sigv4"
)

// BenchmarkVerify measures Verify on an Invoke request with a small JSON body. The unknown-key
// and bad-signature runs should cost about the same as each other (neither tells which keys
// exist); the accepted run costs the same plus returning the key.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, r *http.Request, body []byte, wantOK bool) {
		v := testVerifier()
		v.Now = func() time.Time { return signTime.Add(time.Minute) }
		b.ReportAllocs()
		for b.Loop() {
			_, err := v.Verify(ctx, r, body)
			if (err == nil) != wantOK {
				b.Fatalf("Verify: %v", err)
			}
		}
	}
	header := func(b *testing.B, cred aws.Credentials) *http.Request {
		r := invokeCase.newRequest(b, "https://lambda.us-east-1.amazonaws.com")
		signHTTP(b, r, invokeCase.payloadHash(), cred, "lambda", testRegion, signTime)
		return r
	}
	b.Run("header", func(b *testing.B) {
		run(b, header(b, testCred), invokeCase.body, true)
	})
	b.Run("header-cached-key", func(b *testing.B) {
		r := header(b, testCred)
		v := testVerifier()
		v.Now = func() time.Time { return signTime.Add(time.Minute) }
		v.SigningKeys = sigv4.NewSigningKeys(0)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, r, invokeCase.body); err != nil {
				b.Fatalf("Verify: %v", err)
			}
		}
	})
	b.Run("presigned", func(b *testing.B) {
		r := invokeCase.newRequest(b, "https://lambda.us-east-1.amazonaws.com")
		run(b, presignHTTP(b, r, invokeCase.payloadHash(), invokeCase.body, 15*time.Minute, signTime), invokeCase.body, true)
	})
	b.Run("bad-signature", func(b *testing.B) {
		run(b, header(b, aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "wrong"}), invokeCase.body, false)
	})
	b.Run("unknown-key", func(b *testing.B) {
		run(b, header(b, aws.Credentials{AccessKeyID: "AKIAUNKNOWN", SecretAccessKey: "x"}), invokeCase.body, false)
	})
}
