package gateway_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdock/lambdock/gateway"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// keyDirectory is a tenant.Directory holding fixed accounts and keys: the key store peer of the
// gateway for these tests, until the Postgres directory is merged. Only the reads are served.
type keyDirectory struct {
	accounts map[string]*tenant.Account
	keys     map[string]*tenant.Key
}

var errReadOnly = errors.New("keyDirectory is read-only")

func (d *keyDirectory) GetAccount(_ context.Context, id string) (*tenant.Account, error) {
	if a, ok := d.accounts[id]; ok {
		return a, nil
	}
	return nil, tenant.ErrNotFound
}

func (d *keyDirectory) GetKey(_ context.Context, id string) (*tenant.Key, error) {
	if k, ok := d.keys[id]; ok {
		copied := *k
		return &copied, nil
	}
	return nil, tenant.ErrNotFound
}

func (d *keyDirectory) CreateAccount(context.Context, *tenant.Account) error { return errReadOnly }
func (d *keyDirectory) ListAccounts(context.Context) ([]*tenant.Account, error) {
	return nil, errReadOnly
}
func (d *keyDirectory) SetAccountDisabled(context.Context, string, bool) error { return errReadOnly }
func (d *keyDirectory) DeleteAccount(context.Context, string) error            { return errReadOnly }
func (d *keyDirectory) CreateKey(context.Context, *tenant.Key) error           { return errReadOnly }
func (d *keyDirectory) ListKeys(context.Context, string) ([]*tenant.Key, error) {
	return nil, errReadOnly
}
func (d *keyDirectory) SetKeyDisabled(context.Context, string, bool) error { return errReadOnly }
func (d *keyDirectory) DeleteKey(context.Context, string) error            { return errReadOnly }

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
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestFunctionURLAWSIAM: an AWS_IAM URL serves only requests signed by a key that may invoke
// the function, and tells the function who signed.
func TestFunctionURLAWSIAM(t *testing.T) {
	const other = "111111111111"
	dir := &keyDirectory{
		accounts: map[string]*tenant.Account{
			tenant.AdminAccountID: {ID: tenant.AdminAccountID, Name: "admin"},
			other:                 {ID: other, Name: "other"},
		},
		keys: map[string]*tenant.Key{
			"AKIAOWNEROWNEROWNER2": {ID: "AKIAOWNEROWNEROWNER2", AccountID: tenant.AdminAccountID, Role: tenant.RoleOwner, Secret: "owner-secret"},
			"AKIAINVOKEINVOKEINV2": {ID: "AKIAINVOKEINVOKEINV2", AccountID: tenant.AdminAccountID, Role: tenant.RoleInvoke, Functions: []string{"other-*"}, Secret: "invoke-secret"},
			"AKIAOTHEROTHEROTHER2": {ID: "AKIAOTHEROTHEROTHER2", AccountID: other, Role: tenant.RoleOwner, Secret: "other-secret"},
			"AKIADISABLEDDISABLE2": {ID: "AKIADISABLEDDISABLE2", AccountID: tenant.AdminAccountID, Role: tenant.RoleOwner, Secret: "off", Disabled: true},
		},
	}
	env := gatewaytest.New(t, func(c *gateway.Config) { c.Directory = dir })
	env.Respond(t, urlController)
	createFunction(t, env, "iam")
	createURL(t, env, "iam", types.FunctionUrlAuthTypeAwsIam, nil)

	resp, body := signedRequest(t, env, http.MethodPost, "/fn/iam/x?a=b", "AKIAOWNEROWNEROWNER2", "owner-secret", []byte("hello"))
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
		{"disabled key", "AKIADISABLEDDISABLE2", "off"},
		{"key of another account", "AKIAOTHEROTHEROTHER2", "other-secret"},
		{"invoke key for other functions", "AKIAINVOKEINVOKEINV2", "invoke-secret"},
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
