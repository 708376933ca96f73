package gateway_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdock/lambdock/gateway"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// signedRequest sends a SigV4-signed (service lambda) request to env.
func signedRequest(t *testing.T, env *gatewaytest.Env, method, path, keyID, secret string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, env.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return roundTrip(t, req)
}

// TestFunctionURLAWSIAM: an AWS_IAM URL serves only requests signed by an enabled key of an
// enabled account that may invoke the function, and tells the function who signed. The keys live
// in the Postgres directory (the store).
func TestFunctionURLAWSIAM(t *testing.T) {
	const other, off = "111111111111", "222222222222"
	base := gatewaytest.New(t)
	env := base.Another(t, func(c *gateway.Config) { c.Directory = base.DB })
	env.Respond(t, urlController)
	ctx := context.Background()
	for _, a := range []*tenant.Account{{ID: other, Name: "other", Concurrency: 10}, {ID: off, Name: "off", Concurrency: 10}} {
		if err := base.DB.CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := base.DB.SetAccountDisabled(ctx, off, true); err != nil {
		t.Fatal(err)
	}
	keys := []*tenant.Key{
		{ID: "AKIAOWNEROWNEROWNER2", AccountID: tenant.AdminAccountID, Role: tenant.RoleOwner},
		{ID: "AKIAINVOKEINVOKEINV2", AccountID: tenant.AdminAccountID, Role: tenant.RoleInvoke, Functions: []string{"other-*"}},
		{ID: "AKIAOTHEROTHEROTHER2", AccountID: other, Role: tenant.RoleOwner},
		{ID: "AKIADISABLEDDISABLE2", AccountID: tenant.AdminAccountID, Role: tenant.RoleOwner},
		{ID: "AKIAOFFACCOUNTOFFAC2", AccountID: off, Role: tenant.RoleAdmin},
	}
	secrets := map[string]string{}
	for _, k := range keys {
		k.Secret = tenant.NewSecret()
		secrets[k.ID] = k.Secret
		if err := base.DB.CreateKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := base.DB.SetKeyDisabled(ctx, "AKIADISABLEDDISABLE2", true); err != nil {
		t.Fatal(err)
	}
	createFunction(t, env, "iam")
	createURL(t, env, "iam", types.FunctionUrlAuthTypeAwsIam, nil)

	resp, body := signedRequest(t, env, http.MethodPost, "/fn/iam/x?a=b", "AKIAOWNEROWNEROWNER2", secrets["AKIAOWNEROWNEROWNER2"], []byte("hello"))
	var ev struct {
		RequestContext struct {
			Authorizer struct {
				IAM struct{ AccessKey, AccountID string } `json:"iam"`
			} `json:"authorizer"`
		} `json:"requestContext"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || resp.StatusCode != http.StatusOK ||
		ev.RequestContext.Authorizer.IAM.AccessKey != "AKIAOWNEROWNEROWNER2" ||
		ev.RequestContext.Authorizer.IAM.AccountID != tenant.AdminAccountID {
		t.Fatalf("signed by the owner: %d %s (%v)", resp.StatusCode, body, err)
	}

	refused := []struct{ name, key, secret string }{
		{"wrong secret", "AKIAOWNEROWNEROWNER2", "guess"},
		{"unknown key", "AKIAUNKNOWNUNKNOWNU2", "x"},
		{"disabled key", "AKIADISABLEDDISABLE2", secrets["AKIADISABLEDDISABLE2"]},
		{"key of another account", "AKIAOTHEROTHEROTHER2", secrets["AKIAOTHEROTHEROTHER2"]},
		{"invoke key for other functions", "AKIAINVOKEINVOKEINV2", secrets["AKIAINVOKEINVOKEINV2"]},
		{"admin key of a disabled account", "AKIAOFFACCOUNTOFFAC2", secrets["AKIAOFFACCOUNTOFFAC2"]},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := signedRequest(t, env, http.MethodGet, "/fn/iam/", tt.key, tt.secret, nil)
			if resp.StatusCode != http.StatusForbidden || resp.Header.Get("x-amzn-ErrorType") != "AccessDeniedException" {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
		})
	}
}

// TestFunctionURLsUnderAuthentication: with authentication on, the URL config API needs a
// signature by a key allowed to manage the function, while a NONE URL stays public.
func TestFunctionURLsUnderAuthentication(t *testing.T) {
	env, _ := authEnv(t)
	env.Respond(t, urlController)
	ctx := context.Background()
	owner := env.AddKey(t, tenant.AdminAccountID, tenant.RoleOwner)
	invoker := env.AddKey(t, tenant.AdminAccountID, tenant.RoleInvoke)
	var in lambdaapi.CreateFunctionInput
	if err := json.Unmarshal(createBody(t, "public", nil), &in); err != nil {
		t.Fatal(err)
	}
	if _, err := env.SignedClient(owner).CreateFunction(ctx, &in); err != nil {
		t.Fatal(err)
	}

	if _, err := sdkAs(env, invoker.ID, invoker.Secret).CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{
		FunctionName: aws.String("public"), AuthType: types.FunctionUrlAuthTypeNone}); err == nil {
		t.Fatal("an invoke key created a function URL")
	} else if code, status := sdkErrorCode(t, err); code != "AccessDeniedException" || status != http.StatusForbidden {
		t.Fatalf("invoke key: %d %s", status, code)
	}
	resp, body := sendURL(t, env, http.MethodPost, "/2021-10-31/functions/public/url", "", nil, []byte(`{"AuthType":"NONE"}`))
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("x-amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned create: %d %s", resp.StatusCode, body)
	}
	out, err := sdkAs(env, owner.ID, owner.Secret).CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{
		FunctionName: aws.String("public"), AuthType: types.FunctionUrlAuthTypeNone})
	if err != nil || aws.ToString(out.FunctionUrl) != env.URL+"/fn/public/" {
		t.Fatalf("owner create: %+v, %v", out, err)
	}

	resp, body = sendURL(t, env, http.MethodGet, "/fn/public/open?x=1", "", nil, nil)
	if ev := decodeEcho(t, resp, body); resp.StatusCode != http.StatusOK || ev.RawPath != "/open" {
		t.Fatalf("unsigned request to a NONE URL: %d %s", resp.StatusCode, body)
	}
}
