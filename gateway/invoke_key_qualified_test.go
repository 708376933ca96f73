package gateway_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/tenant"
)

// TestInvokeKeyOnQualifiers: an invoke key restricted to function f invokes f through its
// aliases and versions, however the request names them (name:alias, a qualified ARN, the
// Qualifier parameter), and never g, whatever the qualifier.
func TestInvokeKeyOnQualifiers(t *testing.T) {
	env, _ := authEnv(t)
	env.Respond(t, controller)
	ctx := context.Background()
	for _, name := range []string{"f", "g"} {
		publishVersions(t, env, name, 1)
		if _, err := env.Client.CreateAlias(ctx, name, &lambdaapi.CreateAliasInput{Name: "live", FunctionVersion: "1"}); err != nil {
			t.Fatal(err)
		}
	}
	key := env.AddKey(t, tenant.AdminAccountID, tenant.RoleInvoke, "f")
	denied := func(fn string) string {
		return "User: arn:aws:iam::000000000000:user/" + key.ID + " is not authorized to perform: lambda:InvokeFunction " +
			"on resource: arn:aws:lambda:us-east-1:000000000000:function:" + fn
	}
	now := time.Now()
	tests := []struct {
		name   string
		path   string // after /2015-03-31/functions/
		status int
		denied string
	}{
		{"f:alias", "f:live", 200, ""},
		{"f's qualified ARN", url.PathEscape(fnARN + "f:live"), 200, ""},
		{"f's partial ARN", url.PathEscape("000000000000:function:f:live"), 200, ""},
		{"f with Qualifier", "f?Qualifier=live", 200, ""},
		{"f's version", "f:1", 200, ""},
		{"g:alias", "g:live", 403, denied("g")},
		{"g's qualified ARN", url.PathEscape(fnARN + "g:live"), 403, denied("g")},
		{"g with Qualifier", "g?Qualifier=live", 403, denied("g")},
		{"g's version", "g:1", 403, denied("g")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/2015-03-31/functions/" + tt.path
			if u, err := url.Parse(path); err == nil && u.RawQuery != "" {
				path = u.EscapedPath() + "/invocations?" + u.RawQuery
			} else {
				path += "/invocations"
			}
			status, typ, body := signed(t, env, key, now, "POST", path, []byte(`{}`))
			if status != tt.status {
				t.Fatalf("status %d (%s %s), want %d", status, typ, body, tt.status)
			}
			if tt.denied != "" && (typ != "AccessDeniedException" || message(t, body) != tt.denied) {
				t.Errorf("denied with %s %q\nwant %q", typ, message(t, body), tt.denied)
			}
		})
	}
}
