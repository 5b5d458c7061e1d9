package sockhttp

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// proxies are the reverse proxies [Options].TrustedProxies lists: what they
// forward about the client is believed.
type proxies struct {
	prefixes []netip.Prefix
	unix     bool // "unix": a peer on a Unix socket, whose address is no IP
}

// newProxies parses [Options].TrustedProxies.
func newProxies(list []string) (proxies, error) {
	var out proxies
	for _, p := range list {
		if p == "unix" {
			out.unix = true
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return proxies{}, fmt.Errorf("%w %q: neither an address, a prefix (10.0.0.0/8) nor \"unix\"", ErrBadTrustedProxy, p)
			}
			prefix = netip.PrefixFrom(addr.WithZone(""), addr.BitLen())
		}
		out.prefixes = append(out.prefixes, prefix.Masked())
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
	if s := firstForwarded(r.Header.Get("X-Forwarded-Proto")); s != "" {
		scheme = strings.ToLower(s)
	}
	return host, scheme
}

// trusts reports whether the peer at addr (host:port, or no IP at all for
// a Unix socket) is a trusted proxy.
func (p proxies) trusts(addr string) bool {
	ip, ok := parseAddr(addr)
	if !ok {
		return p.unix
	}
	return p.contain(ip)
}

func (p proxies) contain(ip netip.Addr) bool {
	for _, prefix := range p.prefixes {
		if prefix.Contains(ip) {
			return true
		}
	}
	return false
}

// client returns the client's address, for the per-client limit: the
// peer's, or behind trusted proxies the last address of X-Forwarded-For
// that is not one of them; an IPv6 address stands for its /64, which one
// host commonly has whole. It reports false when there is none (a Unix
// socket's peer that forwarded nothing).
func (p proxies) client(r *http.Request) (netip.Addr, bool) {
	ip, ok := parseAddr(r.RemoteAddr)
	if !p.trusts(r.RemoteAddr) {
		return key(ip), ok
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, hopOK := parseAddr(strings.TrimSpace(hops[i]))
		if !hopOK {
			break // the last hop that makes sense
		}
		ip, ok = hop, true
		if !p.contain(ip) {
			break
		}
	}
	return key(ip), ok
}

// key is what a client's connections are counted under: an IPv4 address,
// or an IPv6 address's /64.
func key(ip netip.Addr) netip.Addr {
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().Addr()
	}
	return ip
}

// parseAddr returns the IP of addr — host:port, [host]:port or a bare
// address — without its zone.
func parseAddr(addr string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	ip, err := netip.ParseAddr(strings.Trim(addr, "[]"))
	return ip.Unmap().WithZone(""), err == nil
}

// firstForwarded returns the first of a forwarded header's comma-separated
// values: the one the client-facing proxy set.
func firstForwarded(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}
