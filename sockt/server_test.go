package sockt_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockkit/sockkit/internal/wire"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sockt"
)

var serverModes = []struct {
	name  string
	start func(t sockt.TB, srv *sockhttp.Server, o *sockt.Options) *sockt.Server
}{
	{"sim", sockt.NewServer},
	{"loopback", sockt.DialServer},
}

// The whole negotiation runs the same in the simulator and over loopback:
// the factory, the origin check, the subprotocols, the handshake checks, the
// response headers.
func TestNegotiationBothWays(t *testing.T) {
	newServer := func() *sockhttp.Server {
		return sockhttp.NewServer(func(r *http.Request) (sockhttp.Accept, error) {
			if r.URL.Query().Get("token") != "s3cret" {
				return sockhttp.Accept{}, &sockhttp.Refusal{Status: http.StatusUnauthorized, Body: "token required"}
			}
			return sockhttp.Accept{Handler: echo{}, Header: http.Header{"X-Room": {r.URL.Path}}}, nil
		}, &sockhttp.Options{Subprotocols: []string{"v2", "v1"}, OriginPatterns: []string{"*.example.com"}})
	}
	request := func(method, target string, header ...string) *http.Request {
		r := httptest.NewRequest(method, target, nil)
		for i := 0; i < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		return r
	}
	sockt.RunServer(t, newServer, nil, func(t *testing.T, s *sockt.Server) {
		c := s.Connect(request("GET", "/lobby?token=s3cret", "Sec-WebSocket-Protocol", "v1, v2", "Cookie", "a=b"))
		h := c.ExpectAccepted("v2")
		if got := h.Header.Get("X-Room"); got != "/lobby" {
			t.Errorf("X-Room = %q, want /lobby", got)
		}
		if got := h.Header.Get("Sec-WebSocket-Accept"); got == "" {
			t.Error("no Sec-WebSocket-Accept in the handshake's header")
		}
		c.SendText("in")
		c.ExpectText("in")

		s.Connect(request("GET", "/lobby?token=s3cret", "Origin", "https://app.example.com")).ExpectAccepted("")
		if h := s.Connect(request("GET", "/lobby")).ExpectRefused(http.StatusUnauthorized); h.Body != "token required" {
			t.Errorf("refusal body = %q, want %q", h.Body, "token required")
		}
		if h := s.Connect(request("GET", "/lobby?token=s3cret", "Origin", "https://evil.example")).ExpectRefused(http.StatusForbidden); !strings.Contains(h.Body, "origin not allowed") {
			t.Errorf("refusal body = %q, want one about the origin", h.Body)
		}
		s.Connect(request("POST", "/lobby?token=s3cret")).ExpectRefused(http.StatusMethodNotAllowed)
		s.Connect(request("GET", "/lobby?token=s3cret", "Sec-WebSocket-Version", "8")).ExpectRefused(http.StatusUpgradeRequired)

		s.Shutdown()
		c.ExpectClose(sock.CloseGoingAway, "server shutdown")
		s.Connect(request("GET", "/lobby?token=s3cret")).ExpectRefused(http.StatusServiceUnavailable)
	})
}

// A request that spells out the handshake headers, or offers compression,
// is a valid handshake in both modes.
func TestExplicitHandshakeBothWays(t *testing.T) {
	newServer := func() *sockhttp.Server {
		return sockhttp.NewServer(func(*http.Request) (sockhttp.Accept, error) {
			return sockhttp.Accept{Handler: echo{}}, nil
		}, &sockhttp.Options{EnableCompression: true})
	}
	sockt.RunServer(t, newServer, nil, func(t *testing.T, s *sockt.Server) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Connection", "keep-alive, Upgrade")
		r.Header.Set("Upgrade", "websocket")
		r.Header.Set("Sec-WebSocket-Version", "13")
		r.Header.Set("Sec-WebSocket-Key", "AQIDBAUGBwgJCgsMDQ4PEA==")
		r.Header.Set("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")
		c := s.Connect(r)
		c.ExpectAccepted("")
		c.SendText(strings.Repeat("compress me ", 100))
		c.ExpectText(strings.Repeat("compress me ", 100))
	})
}

func TestHandshakeAssertionsFail(t *testing.T) {
	for _, tc := range []struct {
		name string
		body func(s *sockt.Server)
		want string
	}{
		{"ExpectRefused, accepted", func(s *sockt.Server) { s.Connect(join("ada-token")).ExpectRefused(http.StatusUnauthorized) },
			`ExpectRefused(401): the server accepted (subprotocol "chat.v1")`},
		{"ExpectRefused, other status", func(s *sockt.Server) { s.Connect(join("nobody")).ExpectRefused(http.StatusForbidden) },
			`ExpectRefused(403): refused with 401 "unknown token"`},
		{"ExpectAccepted, refused", func(s *sockt.Server) { s.Connect(join("nobody")).ExpectAccepted("chat.v1") },
			`ExpectAccepted("chat.v1"): refused with 401 "unknown token"`},
		{"ExpectAccepted, other subprotocol", func(s *sockt.Server) { s.Connect(join("ada-token")).ExpectAccepted("") },
			`ExpectAccepted(""): accepted with subprotocol "chat.v1"`},
		{"driving a refused connection", func(s *sockt.Server) { s.Connect(join("nobody")).SendText("hi") },
			`the server refused the connection with 401 "unknown token": there is nothing to drive`},
	} {
		for _, m := range serverModes {
			t.Run(tc.name+"/"+m.name, func(t *testing.T) {
				failures := sockt.Failures(func(ft sockt.TB) { tc.body(m.start(ft, newRoomServer(), nil)) })
				if len(failures) != 1 || !strings.Contains(failures[0], tc.want) {
					t.Errorf("failures: %q, want one containing %q", failures, tc.want)
				}
			})
		}
	}
}

// Connect returns once Init has returned, not when it is called: over
// loopback Init runs on the server's goroutine, and a slow one (a name
// claimed across a cluster, a database read) must be over before the test
// goes on.
func TestConnectWaitsForInitToReturn(t *testing.T) {
	var ready atomic.Bool
	sockt.Run(t, func() sock.Handler { return &slowInit{&ready} }, onTestHost(nil), func(t *testing.T, c *sockt.Conn) {
		if !ready.Load() {
			t.Fatal("Connect returned before Init did")
		}
		ready.Store(false)
	})
}

// slowInit takes its time in Init, then says it is ready.
type slowInit struct{ ready *atomic.Bool }

func (h *slowInit) Init(*sock.Conn) sock.Result {
	time.Sleep(20 * time.Millisecond)
	h.ready.Store(true)
	return sock.Continue()
}

func (h *slowInit) HandleIn(*sock.Conn, sock.Frame) sock.Result { return sock.Continue() }

// SendRaw writes the client's own bytes over a socket: two frames in one
// write, the second one breaking the protocol, are read in order. In the
// simulator, which carries frames, it fails the test.
func TestSendRaw(t *testing.T) {
	echo := sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler {
		return sock.HandlerFunc(func(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) })
	}), nil)
	c := sockt.DialServer(t, echo, nil).Connect(nil)
	ping := wire.Frame(wire.Header{Fin: true, Op: byte(sock.OpPing), Masked: true}, []byte("first"))
	rsv := wire.Frame(wire.Header{Fin: true, RSV: 0x40, Op: byte(sock.OpText), Masked: true}, []byte("x"))
	c.SendRaw(append(ping, rsv...))
	c.ExpectPong([]byte("first"))
	if r := c.ExpectTerminate(sock.ReasonError); r.Code != sock.CloseProtocolError {
		t.Errorf("Terminate's reason %v, want 1002", r)
	}

	failures := sockt.Failures(func(ft sockt.TB) {
		sockt.NewServer(ft, newRoomServer(), nil).Connect(join("ada-token")).SendRaw(ping)
	})
	if len(failures) != 1 || !strings.Contains(failures[0], "the simulator carries frames, not bytes") {
		t.Errorf("SendRaw in the simulator: failures %q, want one saying it needs a socket", failures)
	}
}
