package sockhttp_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// negotiationFactory authenticates by a token in the query, and misbehaves
// on purpose on some paths.
func negotiationFactory(r *http.Request) (sockhttp.Accept, error) {
	switch r.URL.Path {
	case "/broken":
		return sockhttp.Accept{}, errors.New("database down")
	case "/nil":
		return sockhttp.Accept{}, nil
	case "/unoffered":
		return sockhttp.Accept{Handler: newProbe(nil), Subprotocol: "v9"}, nil
	case "/header-protocol": // as gorilla's Upgrade takes it
		return sockhttp.Accept{Handler: newProbe(nil), Header: http.Header{"Sec-Websocket-Protocol": {"v1"}}}, nil
	case "/extensions": // spelled as typed, not as Go would
		return sockhttp.Accept{Handler: newProbe(nil), Header: http.Header{"Sec-WebSocket-Extensions": {"x-custom"}}}, nil
	case "/json":
		return sockhttp.Accept{}, &sockhttp.Refusal{Status: http.StatusForbidden,
			Header: http.Header{"content-type": {"application/json"}}, Body: `{"error":"no"}`}
	}
	if r.URL.Query().Get("token") != "s3cret" {
		return sockhttp.Accept{}, &sockhttp.Refusal{Status: http.StatusUnauthorized,
			Header: http.Header{"Www-Authenticate": {"Bearer"}}, Body: "token required"}
	}
	return sockhttp.Accept{Handler: newProbe(nil), Header: http.Header{"X-Room": {"lobby"}}}, nil
}

// upgradeRequest returns a valid opening handshake for target on host.
func upgradeRequest(method, target, host string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Host = host
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Sec-WebSocket-Version", "13")
	r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	return r
}

// Negotiate and ServeHTTP give every request the same answer: Negotiate is
// what ServeHTTP runs.
func TestNegotiateAgreesWithServeHTTP(t *testing.T) {
	opts := &sockhttp.Options{OriginPatterns: []string{"*.example.com"}, Subprotocols: []string{"v2", "v1"},
		ConnOptions: &sock.Options{Logger: discard}}
	srv, ws := serveFactory(t, negotiationFactory, opts)
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, tc := range []struct {
		name    string
		method  string
		target  string
		header  map[string]string
		status  int
		wantErr error // for refusals made by sockhttp
	}{
		{"accepted", "GET", "/chat?token=s3cret", nil, http.StatusSwitchingProtocols, nil},
		{"accepted with a subprotocol", "GET", "/chat?token=s3cret", map[string]string{"Sec-WebSocket-Protocol": "v1, v2"}, http.StatusSwitchingProtocols, nil},
		{"accepted from an allowed origin", "GET", "/chat?token=s3cret", map[string]string{"Origin": "https://app.example.com"}, http.StatusSwitchingProtocols, nil},
		{"refused by the factory", "GET", "/chat", nil, http.StatusUnauthorized, nil},
		{"factory error", "GET", "/broken", nil, http.StatusInternalServerError, nil},
		{"nil handler", "GET", "/nil", nil, http.StatusInternalServerError, nil},
		{"subprotocol not offered", "GET", "/unoffered", nil, http.StatusInternalServerError, nil},
		{"subprotocol in the factory's header", "GET", "/header-protocol", map[string]string{"Sec-WebSocket-Protocol": "v1"}, http.StatusSwitchingProtocols, nil},
		{"extensions in the factory's header", "GET", "/extensions", nil, http.StatusInternalServerError, nil},
		{"a refusal of its own type", "GET", "/json", nil, http.StatusForbidden, nil},
		{"POST", "POST", "/chat?token=s3cret", nil, http.StatusMethodNotAllowed, sockhttp.ErrBadHandshake},
		{"version 8", "GET", "/chat?token=s3cret", map[string]string{"Sec-WebSocket-Version": "8"}, http.StatusUpgradeRequired, sockhttp.ErrBadHandshake},
		{"no upgrade", "GET", "/chat?token=s3cret", map[string]string{"Upgrade": ""}, http.StatusUpgradeRequired, sockhttp.ErrBadHandshake},
		{"bad key", "GET", "/chat?token=s3cret", map[string]string{"Sec-WebSocket-Key": "c2hvcnQ="}, http.StatusBadRequest, sockhttp.ErrBadHandshake},
		{"foreign origin", "GET", "/chat?token=s3cret", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden, sockhttp.ErrOriginNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			build := func() *http.Request {
				r := upgradeRequest(tc.method, tc.target, host)
				for k, v := range tc.header {
					r.Header.Set(k, v)
				}
				return r
			}
			acc, err := ws.Negotiate(build())
			status, header, body := http.StatusSwitchingProtocols, acc.Header, ""
			var refusal *sockhttp.Refusal
			if errors.As(err, &refusal) {
				status, header, body = refusal.Status, refusal.Header, refusal.Body
			} else if err != nil {
				t.Fatalf("Negotiate error %v is not a *Refusal", err)
			}
			if status != tc.status {
				t.Errorf("Negotiate: status %d, want %d", status, tc.status)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("Negotiate error = %v, want one wrapping %v", err, tc.wantErr)
			}

			wire := build()
			wire.RequestURI, wire.URL.Scheme, wire.URL.Host = "", "http", host
			resp, err := http.DefaultClient.Do(wire)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got := ""
			if resp.StatusCode != http.StatusSwitchingProtocols {
				b, _ := io.ReadAll(resp.Body)
				got = string(b)
			}
			if resp.StatusCode != status || got != body {
				t.Errorf("ServeHTTP answered %d %q, Negotiate %d %q", resp.StatusCode, got, status, body)
			}
			for k := range header {
				if w, n := resp.Header.Get(k), header.Get(k); w != n {
					t.Errorf("header %s: ServeHTTP %q, Negotiate %q", k, w, n)
				}
			}
		})
	}

	ws.Shutdown(t.Context())
	_, err := ws.Negotiate(upgradeRequest("GET", "/chat?token=s3cret", host))
	var refusal *sockhttp.Refusal
	if !errors.As(err, &refusal) || refusal.Status != http.StatusServiceUnavailable || !errors.Is(err, sockhttp.ErrShuttingDown) {
		t.Errorf("Negotiate after Shutdown = %v, want 503 wrapping ErrShuttingDown", err)
	}
}

func TestNegotiateAcceptance(t *testing.T) {
	ws := sockhttp.NewServer(negotiationFactory, &sockhttp.Options{Subprotocols: []string{"v2", "v1"}})
	r := upgradeRequest("GET", "/chat?token=s3cret", "example.com")
	r.Header.Set("Sec-WebSocket-Protocol", "v1, v2")
	acc, err := ws.Negotiate(r)
	if err != nil {
		t.Fatal(err)
	}
	if acc.Handler == nil || acc.Subprotocol != "v2" {
		t.Errorf("Accept = %+v, want a handler and subprotocol v2 (the server's preference)", acc)
	}
	for k, want := range map[string]string{
		"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Protocol": "v2", "X-Room": "lobby",
		"Sec-WebSocket-Accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", // RFC 6455 §1.3's example
	} {
		if got := acc.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
}

func TestUpgradeErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    *sockhttp.Options
		handler sock.Handler
		request func(host string) *http.Request
		status  int
		wantErr error
	}{
		{"POST", nil, newProbe(nil), func(host string) *http.Request { return upgradeRequest("POST", "/", host) },
			http.StatusMethodNotAllowed, sockhttp.ErrBadHandshake},
		{"plain GET", nil, newProbe(nil), func(host string) *http.Request { return httptest.NewRequest("GET", "/", nil) },
			http.StatusUpgradeRequired, sockhttp.ErrBadHandshake},
		{"foreign origin", nil, newProbe(nil), func(host string) *http.Request {
			r := upgradeRequest("GET", "/", host)
			r.Header.Set("Origin", "https://evil.example")
			return r
		}, http.StatusForbidden, sockhttp.ErrOriginNotAllowed},
		// A malformed pattern fails the request, and does not panic on it.
		{"bad origin pattern", &sockhttp.Options{OriginPatterns: []string{"["}, ConnOptions: &sock.Options{Logger: discard}}, newProbe(nil),
			func(host string) *http.Request { return upgradeRequest("GET", "/", host) },
			http.StatusInternalServerError, sockhttp.ErrBadOriginPattern},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			err := sockhttp.Upgrade(w, tc.request("example.com"), tc.handler, tc.opts)
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("Upgrade = %v, want an error wrapping %v", err, tc.wantErr)
			}
			var refusal *sockhttp.Refusal
			if !errors.As(err, &refusal) || refusal.Status != tc.status {
				t.Errorf("Upgrade = %v, want a *Refusal with status %d", err, tc.status)
			}
			if w.Code != tc.status {
				t.Errorf("response status = %d, want %d", w.Code, tc.status)
			}
		})
	}
}

func TestNewServerRejectsBadOriginPattern(t *testing.T) {
	defer func() {
		v := recover()
		if s, _ := v.(string); !strings.Contains(s, `bad origin pattern "["`) {
			t.Errorf("NewServer with pattern \"[\" panicked with %v, want a message naming the pattern", v)
		}
	}()
	sockhttp.NewServer(nil, &sockhttp.Options{OriginPatterns: []string{"*.example.com", "["}})
}

func TestWrapHandlers(t *testing.T) {
	var order []string
	ws := sockhttp.NewServer(negotiationFactory, nil)
	mark := func(name string) func(sock.Handler, *http.Request) sock.Handler {
		return func(h sock.Handler, r *http.Request) sock.Handler {
			order = append(order, name+" "+r.URL.Path)
			return h
		}
	}
	ws.WrapHandlers(mark("inner"))
	ws.WrapHandlers(mark("outer"))
	if _, err := ws.Negotiate(upgradeRequest("GET", "/room?token=s3cret", "example.com")); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.Negotiate(upgradeRequest("GET", "/room", "example.com")); err == nil {
		t.Fatal("Negotiate without a token accepted")
	}
	if want := []string{"inner /room", "outer /room"}; strings.Join(order, ",") != strings.Join(want, ",") {
		t.Errorf("wrapped %q, want %q: inner first, refused requests not at all", order, want)
	}
}

// A factory's header that would write lines of its own into the 101
// response is refused with 500, as a bug of the factory's.
func TestFactoryHeaderInjection(t *testing.T) {
	for _, h := range []http.Header{
		{"X-A": {"v\r\nSet-Cookie: a=1"}},
		{"X-B\r\nSet-Cookie": {"a=1"}},
		{"X C": {"v"}},
	} {
		ws := sockhttp.NewServer(func(*http.Request) (sockhttp.Accept, error) {
			return sockhttp.Accept{Handler: newProbe(nil), Header: h}, nil
		}, &sockhttp.Options{ConnOptions: &sock.Options{Logger: discard}})
		_, err := ws.Negotiate(upgradeRequest("GET", "/", "example.com"))
		var refusal *sockhttp.Refusal
		if !errors.As(err, &refusal) || refusal.Status != http.StatusInternalServerError {
			t.Errorf("header %q: %v, want a 500 refusal", h, err)
		}
	}
}
