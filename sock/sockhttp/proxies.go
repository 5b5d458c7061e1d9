package sockhttp

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// proxies are the reverse proxies [Options].TrustedProxies lists: what they
// forward about the client is believed.
type proxies []netip.Prefix

// newProxies parses [Options].TrustedProxies.
func newProxies(list []string) (proxies, error) {
	var out proxies
	for _, p := range list {
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return nil, fmt.Errorf("%w %q: neither an address nor a prefix (10.0.0.0/8)", ErrBadTrustedProxy, p)
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		out = append(out, prefix.Masked())
	}
	return out, nil
}

// served returns the host and the scheme the client asked for: r's Host,
// and https over TLS; behind a trusted proxy, what it forwarded. The scheme
// is "" when it is not known: a proxy in front may have ended the TLS.
func (p proxies) served(r *http.Request) (host, scheme string) {
	host = strings.ToLower(r.Host)
	if r.TLS != nil {
		scheme = "https"
	}
	if !p.trusts(r.RemoteAddr) {
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
func (p proxies) trusts(addr string) bool {
	ip, ok := parseAddr(addr)
	return ok && p.contain(ip)
}

func (p proxies) contain(ip netip.Addr) bool {
	for _, prefix := range p {
		if prefix.Contains(ip) {
			return true
		}
	}
	return false
}

// client returns the client's address: the peer's, or behind trusted
// proxies, the last address of X-Forwarded-For that is not one of them.
func (p proxies) client(r *http.Request) (netip.Addr, bool) {
	ip, ok := parseAddr(r.RemoteAddr)
	if !ok || !p.contain(ip) {
		return ip, ok
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return ip, true // the last hop that makes sense
		}
		if ip = hop.Unmap(); !p.contain(ip) {
			return ip, true
		}
	}
	return ip, true
}

// parseAddr returns the IP of addr, host:port or a bare address.
func parseAddr(addr string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().Unmap(), true
	}
	ip, err := netip.ParseAddr(addr)
	return ip.Unmap(), err == nil
}

// firstForwarded returns the first of a forwarded header's comma-separated
// values: the one the client-facing proxy set.
func firstForwarded(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}
