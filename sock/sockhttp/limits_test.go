package sockhttp_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// tryDial dials, and returns the connection or the refusal's status,
// Retry-After and body.
func tryDial(t *testing.T, url string, h http.Header) (c *websocket.Conn, status int, retry, body string) {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(url, h)
	if err == nil {
		t.Cleanup(func() { c.Close() })
		return c, http.StatusSwitchingProtocols, "", ""
	}
	if resp == nil {
		t.Fatalf("Dial: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	return nil, resp.StatusCode, resp.Header.Get("Retry-After"), string(b)
}

// Past MaxConns, upgrades get 503 with Retry-After; a connection that ends
// makes room again, and so does a request the factory refuses.
func TestMaxConns(t *testing.T) {
	srv, _ := serveFactory(t, func(r *http.Request) (sockhttp.Accept, error) {
		if r.URL.Query().Has("refuse") {
			return sockhttp.Accept{}, &sockhttp.Refusal{Status: http.StatusUnauthorized}
		}
		return sockhttp.Accept{Handler: newProbe(nil)}, nil
	}, &sockhttp.Options{MaxConns: 2, RetryAfter: 1500 * time.Millisecond})
	url := wsURL(srv)
	for range 3 { // refused by the factory: counted while they are decided, not after
		if _, status, _, _ := tryDial(t, url+"/?refuse", nil); status != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", status)
		}
	}
	first, _, _, _ := tryDial(t, url, nil)
	tryDial(t, url, nil)
	_, status, retry, body := tryDial(t, url, nil)
	if status != http.StatusServiceUnavailable || retry != "2" || !strings.Contains(body, "too many connections") {
		t.Errorf("third connection: %d, Retry-After %q, body %q; want 503, 2 (1.5s rounded up), too many connections", status, retry, body)
	}
	first.Close()
	eventuallyDials(t, url, nil)
}

// eventuallyDials dials until the server has room, for up to 5s.
func eventuallyDials(t *testing.T, url string, h http.Header) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, status, _, _ := tryDial(t, url, h)
		if c != nil {
			return
		}
		if status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("status %d, want room for a connection", status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// MaxConnsPerClient counts by the client's address: the peer's, or the one
// a trusted proxy forwarded.
func TestMaxConnsPerClient(t *testing.T) {
	factory := sockhttp.AcceptAll(func() sock.Handler { return newProbe(nil) })
	from := func(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }

	t.Run("behind a trusted proxy", func(t *testing.T) {
		srv, _ := serveFactory(t, factory, &sockhttp.Options{MaxConnsPerClient: 1, TrustedProxies: []string{"127.0.0.1", "::1"}})
		url := wsURL(srv)
		tryDial(t, url, from("192.0.2.1"))
		if _, status, _, _ := tryDial(t, url, from("192.0.2.1")); status != http.StatusServiceUnavailable {
			t.Errorf("a second connection of 192.0.2.1: %d, want 503", status)
		}
		if c, status, _, _ := tryDial(t, url, from("192.0.2.2, 192.0.2.1")); c != nil {
			t.Errorf("192.0.2.2 through 192.0.2.1: not counted as 192.0.2.1, the last hop before the trusted proxy (%d)", status)
		}
		if c, status, _, _ := tryDial(t, url, from("192.0.2.3")); c == nil {
			t.Errorf("192.0.2.3: %d, want a connection", status)
		}
	})
	t.Run("forwarded headers not trusted", func(t *testing.T) {
		srv, _ := serveFactory(t, factory, &sockhttp.Options{MaxConnsPerClient: 1})
		url := wsURL(srv)
		tryDial(t, url, from("192.0.2.1"))
		if c, status, _, _ := tryDial(t, url, from("192.0.2.2")); c != nil {
			t.Errorf("a client claiming another address got a second connection (%d)", status)
		}
	})
}

// During Shutdown, upgrades get 503 with Retry-After.
func TestShutdownRetryAfter(t *testing.T) {
	srv, ws := serveFactory(t, sockhttp.AcceptAll(func() sock.Handler { return newProbe(nil) }), nil)
	ws.Shutdown(context.Background())
	_, status, retry, _ := tryDial(t, wsURL(srv), nil)
	if status != http.StatusServiceUnavailable || retry != "5" {
		t.Errorf("during shutdown: %d, Retry-After %q; want 503, 5", status, retry)
	}
	_, err := ws.Negotiate(upgradeRequest("GET", "/", "example.com"))
	if !errors.Is(err, sockhttp.ErrShuttingDown) {
		t.Errorf("Negotiate during shutdown: %v", err)
	}
}

// A factory that panics gives back the request's place: MaxConns is not
// lowered for good, and Shutdown does not wait for it.
func TestFactoryPanicReleases(t *testing.T) {
	srv, ws := serveFactory(t, func(r *http.Request) (sockhttp.Accept, error) {
		if r.URL.Query().Has("boom") {
			panic("factory bug")
		}
		return sockhttp.Accept{Handler: newProbe(nil)}, nil
	}, &sockhttp.Options{MaxConns: 1, MaxConnsPerClient: 1, ConnOptions: &sock.Options{Logger: discard}})
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // net/http logs the panic
	websocket.DefaultDialer.Dial(wsURL(srv)+"/?boom", nil)
	c, status, _, body := tryDial(t, wsURL(srv), nil)
	if c == nil {
		t.Fatalf("after a factory panic: %d %q, want a connection", status, body)
	}
	c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := ws.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// Forwarded addresses with ports, and Unix-socket proxies, count each
// client apart.
func TestMaxConnsPerClientForwarded(t *testing.T) {
	factory := sockhttp.AcceptAll(func() sock.Handler { return newProbe(nil) })
	from := func(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }
	t.Run("ports", func(t *testing.T) {
		srv, _ := serveFactory(t, factory, &sockhttp.Options{MaxConnsPerClient: 1, TrustedProxies: []string{"127.0.0.1", "::1"}})
		url := wsURL(srv)
		for _, addr := range []string{"192.0.2.1:50000", "[2001:db8::7]:40000", "2001:db8:1::1"} {
			if c, status, _, _ := tryDial(t, url, from(addr)); c == nil {
				t.Errorf("first connection of %s: %d", addr, status)
			}
		}
		if c, _, _, _ := tryDial(t, url, from("[2001:db8::8]:1")); c != nil {
			t.Error("a second address of the same /64 got a second connection")
		}
	})
	t.Run("unix socket", func(t *testing.T) {
		ws := sockhttp.NewServer(factory, &sockhttp.Options{MaxConnsPerClient: 1, TrustedProxies: []string{"unix"}})
		path := filepath.Join(t.TempDir(), "ws.sock")
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: ws}
		go srv.Serve(l)
		t.Cleanup(func() { srv.Close(); ws.Shutdown(context.Background()) })
		d := websocket.Dialer{NetDial: func(string, string) (net.Conn, error) { return net.Dial("unix", path) }}
		for _, addr := range []string{"192.0.2.1", "192.0.2.2"} {
			c, resp, err := d.Dial("ws://proxy/", from(addr))
			if err != nil {
				t.Fatalf("%s through a Unix socket: %v (%v)", addr, err, resp)
			}
			defer c.Close()
		}
		if c, _, err := d.Dial("ws://proxy/", from("192.0.2.1")); err == nil {
			c.Close()
			t.Error("a second connection of 192.0.2.1 through a Unix socket")
		}
	})
}
