package sockhttp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

func TestEchoTextAndBinary(t *testing.T) {
	p := newProbe(nil)
	srv, _ := serve(t, p, nil)
	c := dial(t, srv, nil)
	for _, m := range []struct {
		typ  int
		data []byte
	}{
		{websocket.TextMessage, []byte("héllo")},
		{websocket.BinaryMessage, []byte{0, 1, 2, 0xff}},
		{websocket.TextMessage, bytes.Repeat([]byte("x"), 70000)}, // 64-bit length
		{websocket.BinaryMessage, nil},
	} {
		if err := c.WriteMessage(m.typ, m.data); err != nil {
			t.Fatal(err)
		}
		typ, got, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if typ != m.typ || !bytes.Equal(got, m.data) {
			t.Errorf("echo of %d bytes (type %d) = %d bytes (type %d)", len(m.data), m.typ, len(got), typ)
		}
	}
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4001, "done"), time.Now().Add(time.Second))
	r := p.reason(t)
	if r.Kind != sock.ReasonRemote || r.Code != 4001 || r.Text != "done" {
		t.Errorf("Terminate reason = %v, want remote 4001 \"done\"", r)
	}
	expectClose(t, c, 4001) // the server echoes the client's code
}

func TestRequestSnapshotAndSubprotocol(t *testing.T) {
	p := newProbe(nil)
	srv, _ := serve(t, p, &sockhttp.Options{Subprotocols: []string{"v2", "v1"}})
	c, resp, err := (&websocket.Dialer{Subprotocols: []string{"v1", "v2"}}).Dial(wsURL(srv)+"/room/7?x=1", http.Header{"X-Token": {"abc"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "v2" {
		t.Errorf("negotiated subprotocol = %q, want v2 (the server's preference)", got)
	}
	conn := <-p.conn
	if conn.Subprotocol() != "v2" {
		t.Errorf("Conn.Subprotocol() = %q, want v2", conn.Subprotocol())
	}
	r := conn.Request()
	if r == nil || r.URL.Path != "/room/7" || r.URL.Query().Get("x") != "1" || r.Header.Get("X-Token") != "abc" || r.RemoteAddr == "" {
		t.Errorf("Conn.Request() = %+v, want path /room/7, x=1, X-Token abc and a remote address", r)
	}
}

func TestFactoryChoosesSubprotocol(t *testing.T) {
	p := newProbe(nil)
	srv, _ := serveFactory(t, func(r *http.Request) (sockhttp.Accept, error) {
		return sockhttp.Accept{Handler: p, Subprotocol: "chat", Header: http.Header{"X-Room": {"lobby"}}}, nil
	}, &sockhttp.Options{Subprotocols: []string{"other"}, ConnOptions: &sock.Options{Logger: discard}})
	c, resp, err := (&websocket.Dialer{Subprotocols: []string{"other", "chat"}}).Dial(wsURL(srv), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.Subprotocol(); got != "chat" {
		t.Errorf("subprotocol = %q, want chat", got)
	}
	if got := resp.Header.Get("X-Room"); got != "lobby" {
		t.Errorf("X-Room header = %q, want lobby", got)
	}

	// A subprotocol the client did not offer is a server bug: 500, no upgrade.
	_, resp, err = websocket.DefaultDialer.Dial(wsURL(srv), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("dial without offering chat: err %v, response %v; want 500", err, resp)
	}
}

func TestRefusedUpgrade(t *testing.T) {
	srv, _ := serveFactory(t, func(r *http.Request) (sockhttp.Accept, error) {
		if r.Header.Get("Authorization") == "" {
			return sockhttp.Accept{}, &sockhttp.Refusal{Status: http.StatusUnauthorized,
				Header: http.Header{"Www-Authenticate": {"Bearer"}}, Body: "token required"}
		}
		if r.URL.Path == "/broken" {
			return sockhttp.Accept{}, errors.New("database down")
		}
		return sockhttp.Accept{Handler: newProbe(nil)}, nil
	}, &sockhttp.Options{ConnOptions: &sock.Options{Logger: discard}})

	_, resp, err := websocket.DefaultDialer.Dial(wsURL(srv), nil)
	if err == nil {
		t.Fatal("Dial without a token succeeded")
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusUnauthorized || string(body) != "token required" || resp.Header.Get("Www-Authenticate") != "Bearer" {
		t.Errorf("refusal = %d %q %v, want 401 \"token required\" with WWW-Authenticate", resp.StatusCode, body, resp.Header)
	}

	auth := http.Header{"Authorization": {"Bearer x"}}
	_, resp, err = websocket.DefaultDialer.Dial(wsURL(srv)+"/broken", auth)
	if err == nil || resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("factory error: err %v, status %v; want 500", err, resp.StatusCode)
	}
	dial(t, srv, auth) // and a good request still upgrades
}

func TestOriginCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   *sockhttp.Options
		origin string
		want   int
	}{
		{"no origin", nil, "", http.StatusSwitchingProtocols},
		{"same origin", nil, "http://HOST", http.StatusSwitchingProtocols},
		{"cross origin", nil, "https://evil.example", http.StatusForbidden},
		{"malformed origin", nil, "::not a url", http.StatusForbidden},
		{"allowed by pattern", &sockhttp.Options{OriginPatterns: []string{"*.example.com"}}, "https://app.Example.com", http.StatusSwitchingProtocols},
		{"not matched by pattern", &sockhttp.Options{OriginPatterns: []string{"*.example.com"}}, "https://example.org", http.StatusForbidden},
		{"check skipped", &sockhttp.Options{InsecureSkipOriginCheck: true}, "https://evil.example", http.StatusSwitchingProtocols},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := serve(t, newProbe(nil), tc.opts)
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", strings.Replace(tc.origin, "HOST", strings.TrimPrefix(srv.URL, "http://"), 1))
			}
			c, resp, err := websocket.DefaultDialer.Dial(wsURL(srv), h)
			if c != nil {
				c.Close()
			}
			if resp == nil {
				t.Fatalf("Dial: %v", err)
			}
			if resp.StatusCode != tc.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

func TestBadHandshakes(t *testing.T) {
	srv, _ := serve(t, newProbe(nil), nil)
	good := func() http.Header {
		return http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"},
			"Sec-Websocket-Version": {"13"}, "Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}}
	}
	for _, tc := range []struct {
		name   string
		method string
		change func(http.Header)
		want   int
	}{
		{"POST", http.MethodPost, func(http.Header) {}, http.StatusMethodNotAllowed},
		{"no Upgrade header", http.MethodGet, func(h http.Header) { h.Del("Upgrade") }, http.StatusUpgradeRequired},
		{"no Connection upgrade", http.MethodGet, func(h http.Header) { h.Set("Connection", "keep-alive") }, http.StatusUpgradeRequired},
		{"version 8", http.MethodGet, func(h http.Header) { h.Set("Sec-Websocket-Version", "8") }, http.StatusUpgradeRequired},
		{"no key", http.MethodGet, func(h http.Header) { h.Del("Sec-Websocket-Key") }, http.StatusBadRequest},
		{"short key", http.MethodGet, func(h http.Header) { h.Set("Sec-Websocket-Key", "c2hvcnQ=") }, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL, nil)
			req.Header = good()
			tc.change(req.Header)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

func TestPeerErrorsClose(t *testing.T) {
	for _, tc := range []struct {
		name string
		send func(c *websocket.Conn) error
		code int
		err  error
	}{
		{"invalid UTF-8", func(c *websocket.Conn) error {
			return c.WriteMessage(websocket.TextMessage, []byte{'a', 0xff, 0xfe})
		}, websocket.CloseInvalidFramePayloadData, sock.ErrInvalidUTF8},
		{"oversize", func(c *websocket.Conn) error {
			return c.WriteMessage(websocket.BinaryMessage, make([]byte, 2000))
		}, websocket.CloseMessageTooBig, sock.ErrMessageTooBig},
		{"invalid close code", func(c *websocket.Conn) error {
			return c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1004, ""), time.Now().Add(time.Second))
		}, websocket.CloseProtocolError, sock.ErrProtocol},
		// Registered, but gorilla refuses it: so does the Session, in sim too.
		{"close code 1014", func(c *websocket.Conn) error {
			return c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1014, ""), time.Now().Add(time.Second))
		}, websocket.CloseProtocolError, sock.ErrProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProbe(nil)
			srv, _ := serve(t, p, &sockhttp.Options{ConnOptions: &sock.Options{MaxMessageSize: 1024}})
			c := dial(t, srv, nil)
			if err := tc.send(c); err != nil {
				t.Fatal(err)
			}
			expectClose(t, c, tc.code)
			if r := p.reason(t); r.Kind != sock.ReasonError || !errors.Is(r.Err, tc.err) {
				t.Errorf("Terminate reason = %v, want an error wrapping %v", r, tc.err)
			}
		})
	}
}

func TestPanicClosesWith1011AndServerKeepsServing(t *testing.T) {
	p := newProbe(func(c *sock.Conn, msg sock.Frame) sock.Result {
		if string(msg.Payload) == "boom" {
			panic("boom")
		}
		return sock.Push(msg)
	})
	srv, _ := serve(t, p, &sockhttp.Options{ConnOptions: &sock.Options{Logger: discard}})
	c := dial(t, srv, nil)
	c.WriteMessage(websocket.TextMessage, []byte("boom"))
	expectClose(t, c, websocket.CloseInternalServerErr)
	r := p.reason(t)
	var pe *sock.PanicError
	if !errors.As(r.Err, &pe) || pe.Value != "boom" || len(pe.Stack) == 0 {
		t.Errorf("Terminate reason = %v, want a *PanicError with value boom and a stack", r)
	}

	c2 := dial(t, srv, nil)
	c2.WriteMessage(websocket.TextMessage, []byte("still here"))
	if _, got, err := c2.ReadMessage(); err != nil || string(got) != "still here" {
		t.Errorf("next connection echo = %q, %v", got, err)
	}
}

func TestPingIsAnsweredWithSamePayload(t *testing.T) {
	srv, _ := serve(t, newProbe(nil), nil)
	c := dial(t, srv, nil)
	pongs := make(chan string, 1)
	c.SetPongHandler(func(data string) error { pongs <- data; return nil })
	c.WriteControl(websocket.PingMessage, []byte("are you there"), time.Now().Add(time.Second))
	c.WriteMessage(websocket.TextMessage, []byte("after ping"))
	if _, m, err := c.ReadMessage(); err != nil || string(m) != "after ping" {
		t.Fatalf("ReadMessage = %q, %v", m, err)
	}
	select {
	case got := <-pongs:
		if got != "are you there" {
			t.Errorf("pong payload = %q, want %q", got, "are you there")
		}
	default:
		t.Error("no pong arrived before the echo")
	}
}

func TestShutdownClosesEveryConnectionWith1001(t *testing.T) {
	const n = 3
	var mu sync.Mutex
	var probes []*probe
	srv, ws := serveFactory(t, func(*http.Request) (sockhttp.Accept, error) {
		p := newProbe(nil)
		mu.Lock()
		probes = append(probes, p)
		mu.Unlock()
		return sockhttp.Accept{Handler: p}, nil
	}, nil)
	var clients []*websocket.Conn
	for range n {
		c := dial(t, srv, nil)
		c.WriteMessage(websocket.TextMessage, []byte("hi")) // make sure the session runs
		if _, _, err := c.ReadMessage(); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	shutdownErr := make(chan error, 1)
	go func() { shutdownErr <- ws.Shutdown(t.Context()) }()
	for _, c := range clients {
		expectClose(t, c, websocket.CloseGoingAway) // gorilla's client answers the close
	}
	if err := <-shutdownErr; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	for i, p := range probes {
		if r := p.reason(t); r.Kind != sock.ReasonShutdown || r.Code != sock.CloseGoingAway {
			t.Errorf("connection %d: Terminate reason = %v, want shutdown 1001", i, r)
		}
		if n := p.terminations.Load(); n != 1 {
			t.Errorf("connection %d: Terminate ran %d times, want once", i, n)
		}
	}
	_, resp, err := websocket.DefaultDialer.Dial(wsURL(srv), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after Shutdown: err %v, response %v; want 503", err, resp)
	}
}

func TestShutdownDeadlineForcesClose(t *testing.T) {
	p := newProbe(nil)
	srv, ws := serve(t, p, &sockhttp.Options{ConnOptions: &sock.Options{CloseTimeout: time.Hour}})
	rc := dialRaw(t, srv.URL) // a client that never answers the close frame
	ctx, cancel := contextWithTimeout(t, 200*time.Millisecond)
	defer cancel()
	if err := ws.Shutdown(ctx); err == nil {
		t.Error("Shutdown returned nil although a connection never finished its handshake")
	}
	if f := rc.mustRead(); f.opcode != 0x8 || f.closeCode() != 1001 {
		t.Errorf("first frame = opcode %d code %d, want close 1001", f.opcode, f.closeCode())
	}
	rc.expectClosed()
	if r := p.reason(t); r.Kind != sock.ReasonShutdown {
		t.Errorf("Terminate reason = %v, want shutdown", r)
	}
}

func TestCompression(t *testing.T) {
	gorillaOnly(t, "compression is a setting of the gorilla host")
	srv, _ := serve(t, newProbe(nil), &sockhttp.Options{EnableCompression: true})
	c, resp, err := (&websocket.Dialer{EnableCompression: true}).Dial(wsURL(srv), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
		t.Errorf("Sec-WebSocket-Extensions = %q, want permessage-deflate", ext)
	}
	msg := bytes.Repeat([]byte("compress me "), 1000)
	c.WriteMessage(websocket.TextMessage, msg)
	if _, got, err := c.ReadMessage(); err != nil || !bytes.Equal(got, msg) {
		t.Errorf("compressed echo: %d bytes, %v; want %d bytes", len(got), err, len(msg))
	}
}

func TestUpgradeFunction(t *testing.T) {
	p := newProbe(nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sockhttp.Upgrade(w, r, p, nil)
	}))
	defer srv.Close()
	c := dial(t, srv, nil)
	c.WriteMessage(websocket.TextMessage, []byte("via Upgrade"))
	if _, got, err := c.ReadMessage(); err != nil || string(got) != "via Upgrade" {
		t.Errorf("echo = %q, %v", got, err)
	}
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
	if r := p.reason(t); r.Kind != sock.ReasonRemote {
		t.Errorf("Terminate reason = %v, want remote", r)
	}
}

func TestCompressedMessageStopsAtTheLimitOnceInflated(t *testing.T) {
	gorillaOnly(t, "compression is a setting of the gorilla host")
	p := newProbe(nil)
	srv, _ := serve(t, p, &sockhttp.Options{EnableCompression: true, ConnOptions: &sock.Options{MaxMessageSize: 64 << 10}})
	c, _, err := (&websocket.Dialer{EnableCompression: true}).Dial(wsURL(srv), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	// 16 MiB of zeros compress to a few KiB: under the limit on the wire.
	// The server stops reading at the limit, so the end of the write may
	// meet a closed socket.
	c.WriteMessage(websocket.BinaryMessage, make([]byte, 16<<20))
	r := p.reason(t)
	if r.Code != sock.CloseTooBig || errors.Is(r.Err, sock.ErrProtocol) || !strings.Contains(r.Err.Error(), "once decompressed") {
		t.Errorf("Terminate reason = %v, want 1009 with ErrMessageTooBig found while inflating", r)
	}
	expectClose(t, c, websocket.CloseMessageTooBig)
}

// The largest limit there is means no limit, not an overflow.
func TestNoMessageSizeLimit(t *testing.T) {
	srv, _ := serve(t, newProbe(nil), &sockhttp.Options{ConnOptions: &sock.Options{MaxMessageSize: math.MaxInt64}})
	c := dial(t, srv, nil)
	msg := bytes.Repeat([]byte("x"), 3000)
	c.WriteMessage(websocket.BinaryMessage, msg)
	if _, got, err := c.ReadMessage(); err != nil || !bytes.Equal(got, msg) {
		t.Errorf("echo of %d bytes: %d bytes, %v", len(msg), len(got), err)
	}
}

func TestShutdownDoesNotWaitForASlowFactory(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	srv, ws := serveFactory(t, func(*http.Request) (sockhttp.Accept, error) {
		close(entered)
		<-release // a factory still deciding when Shutdown's deadline passes
		return sockhttp.Accept{Handler: newProbe(nil)}, nil
	}, nil)
	dialed := make(chan error, 1)
	go func() {
		c, _, err := websocket.DefaultDialer.Dial(wsURL(srv), nil)
		if err == nil {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _, err = c.ReadMessage() // the server closes the socket at once
			c.Close()
		}
		dialed <- err
	}()
	<-entered
	ctx, cancel := contextWithTimeout(t, 50*time.Millisecond)
	defer cancel()
	if err := ws.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want context.DeadlineExceeded", err)
	}
	close(release)
	if err := <-dialed; err == nil {
		t.Error("the connection upgraded after the deadline stayed open")
	}
}

// Messages of every size, around each size of the buffers the transport
// reads into, come back whole and unmixed while other connections do the
// same: a payload's buffer goes back to a pool shared by every connection
// once its callback returned, and must not be reused before the echo is
// written.
func TestEchoSizesOnManyConnections(t *testing.T) {
	srv, _ := serve(t, newProbe(nil), &sockhttp.Options{MemoryBudget: -1})
	sizes := []int{0, 1, 511, 512, 513, 1023, 1024, 1025, 4096, 32<<10 + 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 200 << 10}
	var wg sync.WaitGroup
	for conn := range 8 {
		c := dial(t, srv, nil)
		wg.Go(func() {
			for i, size := range sizes {
				msg := make([]byte, size)
				for j := range msg {
					msg[j] = byte(conn*31 + i*7 + j)
				}
				if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
					t.Error(err)
					return
				}
				_, got, err := c.ReadMessage()
				if err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(got, msg) {
					t.Errorf("connection %d: the echo of %d bytes differs (%d bytes back)", conn, size, len(got))
				}
			}
		})
	}
	wg.Wait()
}
