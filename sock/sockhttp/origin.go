package sockhttp

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
)

// origins decides which browser pages may open a connection, from
// [Options].OriginPatterns and TrustedProxies, compiled once.
type origins struct {
	skip     bool           // InsecureSkipOriginCheck
	patterns []string       // lower-cased, checked
	proxies  []netip.Prefix // whose X-Forwarded-Host and -Proto are believed
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
	for _, p := range o.TrustedProxies {
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return origins{}, fmt.Errorf("%w %q: neither an address nor a prefix (10.0.0.0/8)", ErrBadTrustedProxy, p)
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		out.proxies = append(out.proxies, prefix.Masked())
	}
	return out, nil
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
	served, servedScheme := o.served(r)
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

// served returns the host and the scheme the client asked for: r's Host,
// and https over TLS; behind a trusted proxy, what it forwarded. The scheme
// is "" when it is not known: a proxy in front may have ended the TLS.
func (o *origins) served(r *http.Request) (host, scheme string) {
	host = strings.ToLower(r.Host)
	if r.TLS != nil {
		scheme = "https"
	}
	if !o.trusts(r.RemoteAddr) {
		return host, scheme
	}
	if h := firstForwarded(r.Header.Get("X-Forwarded-Host")); h != "" {
		host = strings.ToLower(h)
	}
	if p := firstForwarded(r.Header.Get("X-Forwarded-Proto")); p != "" {
		scheme = strings.ToLower(p)
	}
	return host, scheme
}

// trusts reports whether the peer at addr (host:port) is a trusted proxy.
func (o *origins) trusts(addr string) bool {
	if len(o.proxies) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range o.proxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// firstForwarded returns the first of a forwarded header's comma-separated
// values: the one the client-facing proxy set.
func firstForwarded(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
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
