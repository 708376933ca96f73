package gatewaytest

import (
	"net/http"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/internal/contract/tenant"
)

// HeaderTestAccount is honoured only by this harness's wrapper handler, never by the gateway: a
// request carrying it acts as an owner of that account (tenant.NewContext), as if the
// authentication middleware had verified an owner key of it. Requests without it carry no caller
// (authentication off: the admin account).
const HeaderTestAccount = "X-Lambdock-Test-Account"

// withTestCaller wraps the gateway's handler with HeaderTestAccount.
func withTestCaller(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if account := r.Header.Get(HeaderTestAccount); account != "" {
			r = r.WithContext(tenant.NewContext(r.Context(), tenant.Caller{AccountID: account, Role: tenant.RoleOwner}))
		}
		next.ServeHTTP(w, r)
	})
}

// ClientFor returns a client of e's gateway whose requests act in account (HeaderTestAccount).
func (e *Env) ClientFor(account string) *lambdaclient.Client {
	return e.Client.With(lambdaclient.WithHTTPClient(&http.Client{Transport: accountTransport{account}}))
}

// accountTransport sets HeaderTestAccount on every request.
type accountTransport struct{ account string }

func (t accountTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(HeaderTestAccount, t.account)
	return http.DefaultTransport.RoundTrip(r)
}
