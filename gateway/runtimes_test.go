package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/runtimes"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// TestListRuntimes reads the catalogue through GET /lambdock/v1/runtimes: every key may (an
// invoke key too), an unsigned request may not.
func TestListRuntimes(t *testing.T) {
	env, _ := authEnv(t)
	ctx := context.Background()
	invoker := env.SignedClient(env.AddKey(t, tenant.AdminAccountID, tenant.RoleInvoke))
	for name, c := range map[string]*lambdaclient.Client{"admin": env.Client, "invoke key": invoker} {
		got, err := c.ListRuntimes(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		all := runtimes.All()
		if len(got) != len(all) {
			t.Fatalf("%s: %d runtimes, want %d: %+v", name, len(got), len(all), got)
		}
		for i, r := range all {
			g := got[i]
			if g.Runtime != r.ID || g.Family != r.Family || g.Image != r.Image || g.LanguageVersion != r.Language ||
				g.OperatingSystem != r.OS || g.SDK != r.SDK || g.Deprecated != r.Deprecated {
				t.Errorf("%s: runtime %d = %+v, want %+v", name, i, g, r)
			}
		}
	}
	resp, body := do(t, env, call{method: http.MethodGet, path: "/lambdock/v1/runtimes"})
	wantError(t, resp, body, 403, "MissingAuthenticationTokenException", "Missing Authentication Token")

	// The wire form: {"Runtimes":[{"Runtime":"python3.13",...}]}.
	resp, body = do(t, gatewaytest.New(t), call{method: http.MethodGet, path: "/lambdock/v1/runtimes"})
	var wire struct{ Runtimes []map[string]any }
	if err := json.Unmarshal(body, &wire); resp.StatusCode != 200 || err != nil || len(wire.Runtimes) == 0 ||
		wire.Runtimes[0]["Runtime"] != "python3.13" || wire.Runtimes[0]["LanguageVersion"] != "3.13" {
		t.Errorf("unauthenticated gateway: %d %s (%v)", resp.StatusCode, body, err)
	}
}

// TestRuntimeValidation checks CreateFunction's and UpdateFunctionConfiguration's answers to
// each kind of Runtime, with Lambda's exact messages.
func TestRuntimeValidation(t *testing.T) {
	env := gatewaytest.New(t)
	createFunction(t, env, "fn")
	const fns = "/2015-03-31/functions"
	retired := func(id, next string) string {
		return "The runtime parameter of " + id + " is no longer supported for creating or updating AWS Lambda functions. " +
			"We recommend you use the new runtime (" + next + ") while creating or updating functions."
	}
	enum := func(id string) string {
		return "Value " + id + " at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [" +
			strings.Join(runtimes.IDs(), ", ") + "] or be a valid ARN"
	}
	tests := []struct {
		runtime string
		msg     string // "" accepted
	}{
		{"python3.13", ""},
		{"python3.11", ""},
		{"nodejs20.x", ""},
		{"nodejs18.x", ""}, // deprecated by Lambda, still run by Lambdock
		{"provided", ""},
		{"python2.7", retired("python2.7", "python3.13")},
		{"python3.7", retired("python3.7", "python3.13")},
		{"nodejs16.x", retired("nodejs16.x", "nodejs20.x")},
		{"go1.x", retired("go1.x", "provided.al2023")},
		{"ruby2.7", "The runtime parameter of ruby2.7 is no longer supported for creating or updating AWS Lambda functions. " +
			"We recommend you use a supported runtime while creating or updating functions."},
		{"python3.12", enum("python3.12")}, // a Lambda runtime Lambdock does not have
		{"java21", enum("java21")},
		{"Python 3.13", enum("Python 3.13")},
	}
	for i, tt := range tests {
		t.Run(tt.runtime, func(t *testing.T) {
			name := "rt" + string(rune('a'+i))
			set := func(m map[string]any) { m["Runtime"] = tt.runtime }
			resp, body := do(t, env, call{method: http.MethodPost, path: fns, body: createBody(t, name, set)})
			update := call{method: http.MethodPut, path: fns + "/fn/configuration", body: mustJSON(t, map[string]string{"Runtime": tt.runtime})}
			uresp, ubody := do(t, env, update)
			if tt.msg == "" {
				if resp.StatusCode != 201 || uresp.StatusCode != 200 {
					t.Fatalf("create %d %s; update %d %s", resp.StatusCode, body, uresp.StatusCode, ubody)
				}
				return
			}
			for _, r := range []struct {
				resp *http.Response
				body []byte
			}{{resp, body}, {uresp, ubody}} {
				wantError(t, r.resp, r.body, 400, lambdaerr.CodeInvalidParameterValue, tt.msg)
				var e struct{ Message string }
				if err := json.Unmarshal(r.body, &e); err != nil || e.Message != tt.msg {
					t.Errorf("message %q, want exactly %q", e.Message, tt.msg)
				}
			}
		})
	}
}
