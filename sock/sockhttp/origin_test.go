package sockhttp_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// The same-origin check: the Origin's host against the request's Host,
// default ports aside; its scheme against TLS; what a trusted proxy
// forwarded in place of both.
func TestSameOrigin(t *testing.T) {
	proxies := &sockhttp.Options{TrustedProxies: []string{"10.0.0.0/8", "::1"}}
	for _, tc := range []struct {
		name   string
		opts   *sockhttp.Options
		host   string
		tls    bool
		remote string
		header map[string]string
		allow  bool
	}{
		{"same host", nil, "example.com", false, "", map[string]string{"Origin": "https://example.com"}, true},
		{"default port in Host", nil, "example.com:443", true, "", map[string]string{"Origin": "https://example.com"}, true},
		{"default port in Origin", nil, "example.com", false, "", map[string]string{"Origin": "http://example.com:80"}, true},
		{"http page, TLS request", nil, "example.com", true, "", map[string]string{"Origin": "http://example.com"}, false},
		{"http page, TLS request, listed", &sockhttp.Options{OriginPatterns: []string{"example.com"}}, "example.com", true, "",
			map[string]string{"Origin": "http://example.com"}, true},
		{"another port", nil, "example.com:8443", false, "", map[string]string{"Origin": "https://example.com"}, false},
		{"behind a trusted proxy", proxies, "backend:8080", false, "10.1.2.3:5000",
			map[string]string{"Origin": "https://chat.example.com", "X-Forwarded-Host": "chat.example.com", "X-Forwarded-Proto": "https"}, true},
		{"forwarded through two proxies", proxies, "backend:8080", false, "10.1.2.3:5000",
			map[string]string{"Origin": "https://chat.example.com", "X-Forwarded-Host": "chat.example.com, edge.internal"}, true},
		{"trusted proxy over IPv6", proxies, "backend:8080", false, "[::1]:5000",
			map[string]string{"Origin": "https://chat.example.com", "X-Forwarded-Host": "chat.example.com"}, true},
		{"trusted proxy, IPv4 in IPv6", proxies, "backend:8080", false, "[::ffff:10.0.0.1]:5000",
			map[string]string{"Origin": "https://chat.example.com", "X-Forwarded-Host": "chat.example.com"}, true},
		{"proxy says http", proxies, "backend:8080", false, "10.1.2.3:5000",
			map[string]string{"Origin": "https://chat.example.com", "X-Forwarded-Host": "chat.example.com", "X-Forwarded-Proto": "http"}, false},
		{"forged by a client", proxies, "backend:8080", false, "192.0.2.1:5000",
			map[string]string{"Origin": "https://evil.example", "X-Forwarded-Host": "evil.example"}, false},
		{"forwarded headers without trusted proxies", nil, "backend:8080", false, "10.1.2.3:5000",
			map[string]string{"Origin": "https://chat.example.com", "X-Forwarded-Host": "chat.example.com"}, false},
		// DNS rebinding: evil.example resolves to the server's address, so
		// its page's Origin and Host agree. The package doc says what to do.
		{"DNS rebinding passes", nil, "evil.example:8080", false, "", map[string]string{"Origin": "http://evil.example:8080"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := upgradeRequest("GET", "/", tc.host)
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tc.remote != "" {
				r.RemoteAddr = tc.remote
			}
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			_, err := sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return newProbe(nil) }), tc.opts).Negotiate(r)
			if tc.allow && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tc.allow && !errors.Is(err, sockhttp.ErrOriginNotAllowed) {
				t.Errorf("got %v, want %v", err, sockhttp.ErrOriginNotAllowed)
			}
		})
	}
}

func TestNewServerRejectsBadTrustedProxy(t *testing.T) {
	defer func() {
		v := recover()
		if s, _ := v.(string); !strings.Contains(s, `bad trusted proxy "10.0.0.0/33"`) {
			t.Errorf("NewServer with proxy 10.0.0.0/33 panicked with %v, want a message naming it", v)
		}
	}()
	sockhttp.NewServer(nil, &sockhttp.Options{TrustedProxies: []string{"10.0.0.1", "10.0.0.0/33"}})
}

// An upgrade over HTTP/1.0 is refused with 400, over a real socket.
func TestHTTP10UpgradeRefused(t *testing.T) {
	srv, _ := serve(t, newProbe(nil), nil)
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("GET / HTTP/1.0\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
}
