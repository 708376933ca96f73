package funcurl

import (
	"net/http"
	"strconv"
	"strings"
)

// CORS is a function URL's Cors configuration, with Lambda's JSON names (DG API_Cors.md). A nil
// *CORS means none is configured: preflights reach the function and responses are left alone.
type CORS struct {
	AllowCredentials bool     `json:"AllowCredentials,omitempty"`
	AllowHeaders     []string `json:"AllowHeaders,omitempty"`
	AllowMethods     []string `json:"AllowMethods,omitempty"`
	AllowOrigins     []string `json:"AllowOrigins,omitempty"`
	ExposeHeaders    []string `json:"ExposeHeaders,omitempty"`
	MaxAge           int      `json:"MaxAge,omitempty"`
}

// Header names of the CORS protocol (Fetch standard).
const (
	headerOrigin           = "Origin"
	headerRequestMethod    = "Access-Control-Request-Method"
	headerRequestHeaders   = "Access-Control-Request-Headers"
	headerAllowOrigin      = "Access-Control-Allow-Origin"
	headerAllowMethods     = "Access-Control-Allow-Methods"
	headerAllowHeaders     = "Access-Control-Allow-Headers"
	headerAllowCredentials = "Access-Control-Allow-Credentials"
	headerExposeHeaders    = "Access-Control-Expose-Headers"
	headerMaxAge           = "Access-Control-Max-Age"
)

// Preflight answers a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method)
// from the configuration, without invoking the function, as function URLs with Cors do. When
// handled, the caller sends 200 with h and an empty body; h has no CORS headers at all when the
// origin, the method or one of the requested headers is not allowed, so the browser refuses.
//
// Origins, methods and header names match case-insensitively; "*" in AllowOrigins, AllowMethods
// or AllowHeaders allows any. GET, HEAD and POST are always allowed, as browsers treat them
// (CORS-safelisted methods). A wildcard is answered with the request's own method and headers,
// and a wildcard origin with "*" unless AllowCredentials, when browsers require the origin itself.
// Access-Control-Max-Age is sent when MaxAge > 0.
//
// handled is false for a nil configuration or a request that is not a preflight; the request then
// goes to the function like any other.
func (c *CORS) Preflight(r *http.Request) (handled bool, h http.Header) {
	if c == nil || r.Method != http.MethodOptions {
		return false, nil
	}
	origin, method := r.Header.Get(headerOrigin), r.Header.Get(headerRequestMethod)
	if origin == "" || method == "" {
		return false, nil
	}
	h = http.Header{}
	requested := requestedHeaders(r.Header)
	if !c.originAllowed(origin) || !c.methodAllowed(method) || !c.headersAllowed(requested) {
		return true, h
	}
	c.setOrigin(h, origin)
	switch {
	case contains(c.AllowMethods, "*"):
		h.Set(headerAllowMethods, method)
	case len(c.AllowMethods) > 0:
		h.Set(headerAllowMethods, strings.Join(c.AllowMethods, ","))
	}
	switch {
	case contains(c.AllowHeaders, "*"):
		if len(requested) > 0 {
			h.Set(headerAllowHeaders, strings.Join(requested, ","))
		}
	case len(c.AllowHeaders) > 0:
		h.Set(headerAllowHeaders, strings.Join(c.AllowHeaders, ","))
	}
	if c.AllowCredentials {
		h.Set(headerAllowCredentials, "true")
	}
	if c.MaxAge > 0 {
		h.Set(headerMaxAge, strconv.Itoa(c.MaxAge))
	}
	return true, h
}

// Decorate adds Access-Control-Allow-Origin, -Allow-Credentials and -Expose-Headers to h, the
// headers of the response to r, when r comes from an allowed Origin. Configured values replace
// any the function set ("the configured CORS headers on the function URL take precedence", DG
// urls-configuration.md). Requests from other origins, or without Origin, get nothing added.
func (c *CORS) Decorate(r *http.Request, h http.Header) {
	if c == nil {
		return
	}
	origin := r.Header.Get(headerOrigin)
	if origin == "" || !c.originAllowed(origin) {
		return
	}
	c.setOrigin(h, origin)
	if c.AllowCredentials {
		h.Set(headerAllowCredentials, "true")
	}
	if len(c.ExposeHeaders) > 0 {
		h.Set(headerExposeHeaders, strings.Join(c.ExposeHeaders, ","))
	}
}

// setOrigin sets Access-Control-Allow-Origin to "*" for a wildcard without credentials, else to
// the request's origin, and then adds Vary: Origin so that caches keep answers apart.
func (c *CORS) setOrigin(h http.Header, origin string) {
	if contains(c.AllowOrigins, "*") && !c.AllowCredentials {
		h.Set(headerAllowOrigin, "*")
		return
	}
	h.Set(headerAllowOrigin, origin)
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), headerOrigin) {
				return
			}
		}
	}
	h.Add("Vary", headerOrigin)
}

func (c *CORS) originAllowed(origin string) bool {
	for _, o := range c.AllowOrigins {
		if o == "*" || strings.EqualFold(strings.TrimSuffix(o, "/"), strings.TrimSuffix(origin, "/")) {
			return true
		}
	}
	return false
}

func (c *CORS) methodAllowed(method string) bool {
	switch strings.ToUpper(method) {
	case http.MethodGet, http.MethodHead, http.MethodPost:
		return true
	}
	return contains(c.AllowMethods, "*") || contains(c.AllowMethods, method)
}

func (c *CORS) headersAllowed(requested []string) bool {
	if contains(c.AllowHeaders, "*") {
		return true
	}
	for _, name := range requested {
		if !contains(c.AllowHeaders, name) {
			return false
		}
	}
	return true
}

// requestedHeaders lists Access-Control-Request-Headers' names, lower-cased as browsers send them.
func requestedHeaders(h http.Header) []string {
	var names []string
	for _, v := range h.Values(headerRequestHeaders) {
		for _, name := range strings.Split(v, ",") {
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
				names = append(names, name)
			}
		}
	}
	return names
}

// contains reports whether list holds s, ignoring case and surrounding space.
func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(strings.TrimSpace(v), s) {
			return true
		}
	}
	return false
}
