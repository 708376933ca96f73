// Package console is Lambdock's web console: static HTML, CSS and JavaScript embedded in the
// gateway and served under /console/. It is not an API: it has no data of its own and no session.
// The browser signs every call to the gateway's API with SigV4 (service lambda, the region of
// config.json), with the access key the user typed, which stays in the tab's sessionStorage.
package console

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

// Prefix is where the console is served.
const Prefix = "/console/"

// ContentSecurityPolicy is the CSP of every console response: scripts, styles and API calls of
// the console's own origin only, no framing, no base or form elsewhere.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

//go:embed static
var static embed.FS

// Config is GET /console/config.json: what the scripts need from the server to sign requests.
type Config struct {
	Region  string `json:"Region"`
	Service string `json:"Service"`
	// ServerTime is the server's clock (Unix milliseconds), so that a browser whose clock is
	// off still signs with a date the gateway accepts.
	ServerTime int64 `json:"ServerTime"`
}

// Handler serves the console.
type Handler struct {
	region string
	files  http.Handler
}

// New is the console of a gateway whose API verifies signatures for region.
func New(region string) *Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic("console: embedded files: " + err.Error()) // the directory is embedded at build time
	}
	return &Handler{region: region, files: http.StripPrefix(Prefix, http.FileServerFS(sub))}
}

// ServeHTTP serves /console (a redirect to /console/), the embedded files under /console/ and
// /console/config.json, each with the console's security headers. Only GET and HEAD.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cache-Control", "no-cache")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch p := r.URL.Path; {
	case p == strings.TrimSuffix(Prefix, "/"):
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
	case p == Prefix+"config.json":
		hd.Set("Content-Type", "application/json")
		hd.Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(Config{Region: h.region, Service: "lambda", // a write error: the client left
			ServerTime: time.Now().UnixMilli()})
	case strings.HasSuffix(p, "/") && p != Prefix: // no directory listings
		http.NotFound(w, r)
	default:
		h.files.ServeHTTP(w, r)
	}
}
