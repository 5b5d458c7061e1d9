package sockhttp

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// origins decides which browser pages may open a connection, from
// [Options].OriginPatterns and TrustedProxies, compiled once.
type origins struct {
	skip     bool     // InsecureSkipOriginCheck
	patterns []string // lower-cased, checked
	proxies  proxies
}

// newOrigins checks o's patterns and proxies: a malformed one is a
// configuration error, reported before any request is served.
func newOrigins(o *Options) (origins, error) {
	out := origins{skip: o.InsecureSkipOriginCheck}
	for _, p := range o.OriginPatterns {
		p = strings.ToLower(p)
		if _, err := path.Match(p, ""); err != nil {
			return origins{}, fmt.Errorf("%w %q: %v", ErrBadOriginPattern, p, err)
		}
		out.patterns = append(out.patterns, p)
	}
	var err error
	out.proxies, err = newProxies(o.TrustedProxies)
	return out, err
}

// allowed reports whether a browser on r's Origin may open a WebSocket:
// requests without an Origin header (non-browser clients), from the page's
// own origin — r's host, and r's scheme where it is known — or from a host
// that matches one of the patterns.
func (o *origins) allowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if o.skip || origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	host, scheme := strings.ToLower(u.Host), strings.ToLower(u.Scheme)
	served, servedScheme := o.proxies.served(r)
	if withoutDefaultPort(host, scheme) == withoutDefaultPort(served, scheme) && (servedScheme == "" || servedScheme == scheme) {
		return true
	}
	for _, p := range o.patterns {
		if ok, _ := path.Match(p, host); ok { // checked in newOrigins
			return true
		}
	}
	return false
}

// withoutDefaultPort returns host without the scheme's default port:
// "example.com:443" is "example.com" for https.
func withoutDefaultPort(host, scheme string) string {
	switch {
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		return strings.TrimSuffix(host, ":443")
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		return strings.TrimSuffix(host, ":80")
	}
	return host
}
