package sockhttp

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// origins decides which browser pages may open a connection, from
// [Options].OriginPatterns, compiled once.
type origins struct {
	skip     bool     // InsecureSkipOriginCheck
	patterns []string // lower-cased, checked
}

// newOrigins checks o's patterns: a malformed one is a configuration error,
// reported before any request is served.
func newOrigins(o *Options) (origins, error) {
	out := origins{skip: o.InsecureSkipOriginCheck}
	for _, p := range o.OriginPatterns {
		p = strings.ToLower(p)
		if _, err := path.Match(p, ""); err != nil {
			return origins{}, fmt.Errorf("%w %q: %v", ErrBadOriginPattern, p, err)
		}
		out.patterns = append(out.patterns, p)
	}
	return out, nil
}

// allowed reports whether a browser on r's Origin may open a WebSocket:
// requests without an Origin header (non-browser clients), from r's own
// host, or from a host that matches one of the patterns.
func (o *origins) allowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if o.skip || origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	host := strings.ToLower(u.Host)
	if host == strings.ToLower(r.Host) {
		return true
	}
	for _, p := range o.patterns {
		if ok, _ := path.Match(p, host); ok { // checked in newOrigins
			return true
		}
	}
	return false
}
