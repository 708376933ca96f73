package sigv4_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdock/lambdock/gateway/sigv4"
)

// TestLambdaClientRequestsVerify sends the requests of the real aws-sdk-go-v2 Lambda client (its
// own serializers, middleware and signer) to a server that verifies each one.
func TestLambdaClientRequestsVerify(t *testing.T) {
	type seen struct {
		what string
		akid string
		err  error
	}
	var mu sync.Mutex
	var got []seen
	v := &sigv4.Verifier{Region: testRegion, Keys: testKeys} // real clock: the client signs with it
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		akid := ""
		if err == nil {
			akid, err = v.Verify(r.Context(), r, body)
		}
		mu.Lock()
		got = append(got, seen{r.Method + " " + r.RequestURI, akid, err})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}") // a write error is the client's problem, not this test's
	}))
	defer srv.Close()

	client := lambda.New(lambda.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      aws.NewCredentialsCache(credentialsFunc(testCred)),
		RetryMaxAttempts: 1,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	calls := []struct {
		name string
		call func() error
	}{
		{"Invoke", func() error {
			_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("my-fn"), Payload: []byte(`{"a":1}`)})
			return err
		}},
		{"Invoke qualified ARN, binary payload", func() error {
			_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(qualified), Payload: binary})
			return err
		}},
		{"Invoke name with space", func() error {
			_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("my fn"), Qualifier: aws.String("$LATEST")})
			return err
		}},
		{"ListFunctions paged", func() error {
			_, err := client.ListFunctions(ctx, &lambda.ListFunctionsInput{Marker: aws.String("x"), MaxItems: aws.Int32(10)})
			return err
		}},
		{"GetFunction", func() error {
			_, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(qualified)})
			return err
		}},
		{"DeleteFunction", func() error {
			_, err := client.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("my-fn"), Qualifier: aws.String("1")})
			return err
		}},
		{"PutFunctionConcurrency", func() error {
			_, err := client.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
				FunctionName: aws.String("my-fn"), ReservedConcurrentExecutions: aws.Int32(3)})
			return err
		}},
	}
	for _, c := range calls {
		if err := c.call(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(calls) {
		t.Fatalf("server saw %d requests, want %d", len(got), len(calls))
	}
	for _, s := range got {
		t.Log(s.what)
		if s.err != nil || s.akid != testAKID {
			t.Errorf("%s: Verify = %q, %v; want %q", s.what, s.akid, s.err, testAKID)
		}
	}
}

type credentialsFunc aws.Credentials

func (c credentialsFunc) Retrieve(context.Context) (aws.Credentials, error) {
	if c.AccessKeyID == "" {
		return aws.Credentials{}, fmt.Errorf("no credentials")
	}
	return aws.Credentials(c), nil
}
