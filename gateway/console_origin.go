package gateway

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/gateway/console"
)

// ConsoleHandler serves the web console (/console/) and, beside it, the same signed API as
// Handler, on an origin of its own (lambdockd --console-addr). Function URLs are not served
// there: a function URL's page is tenant code, and on the console's origin it could read the
// key a user signed in with (sessionStorage is per origin), script a console window it opened,
// or register a service worker over /console/. So the console is never on the gateway's main
// address, which serves path-routed function URLs (/fn/…), and its address answers 404 to them
// and to hosts of --url-domain.
func (g *Gateway) ConsoleHandler() http.Handler {
	cons := console.New(g.cfg.Region) // public static files, outside the signed API
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/console" || strings.HasPrefix(r.URL.Path, "/console/"):
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				g.engine.ServeHTTP(w, r) // the API's catch-all: authenticated, then 404
				return
			}
			cons.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, urlPathPrefix) || g.isURLHost(r.Host):
			http.Error(w, "function URLs are not served on the console's address", http.StatusNotFound)
		default:
			g.engine.ServeHTTP(w, r)
		}
	})
}

// isURLHost reports whether host names a host-routed function URL (--url-domain).
func (g *Gateway) isURLHost(host string) bool {
	if g.cfg.URLDomain == "" {
		return false
	}
	_, ok := g.urlHostID(host)
	return ok
}

// consoleElsewhere answers /console on the main address: a redirect to the console's own
// address, or 404 when the console is off.
func (g *Gateway) consoleElsewhere(c *gin.Context) {
	if g.cfg.ConsoleURL == "" {
		c.String(http.StatusNotFound, "the web console is off (lambdockd --console-addr)\n")
		return
	}
	c.Redirect(http.StatusFound, strings.TrimSuffix(g.cfg.ConsoleURL, "/")+"/console/")
}
