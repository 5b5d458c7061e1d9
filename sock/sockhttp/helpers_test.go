package sockhttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockkit/sockkit/internal/hosttest"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockgws"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// probe is a test handler: HandleIn runs in (echo when nil), and every
// Terminate reason is sent on terminated.
type probe struct {
	in           func(c *sock.Conn, msg sock.Frame) sock.Result
	terminated   chan sock.Reason
	terminations atomic.Int32    // Terminate calls, over all connections
	conn         chan *sock.Conn // receives the Conn at Init
}

func newProbe(in func(c *sock.Conn, msg sock.Frame) sock.Result) *probe {
	return &probe{in: in, terminated: make(chan sock.Reason, 1), conn: make(chan *sock.Conn, 1)}
}

func (p *probe) Init(c *sock.Conn) sock.Result {
	select {
	case p.conn <- c:
	default: // a probe shared by several connections keeps the first
	}
	return sock.Continue()
}

func (p *probe) HandleIn(c *sock.Conn, msg sock.Frame) sock.Result {
	if p.in == nil {
		return sock.Push(msg)
	}
	return p.in(c, msg)
}

func (p *probe) Terminate(_ *sock.Conn, r sock.Reason) {
	p.terminations.Add(1)
	select {
	case p.terminated <- r:
	default: // a probe shared by several connections keeps the first
	}
}

// reason waits for the connection's Terminate.
func (p *probe) reason(t testing.TB) sock.Reason {
	t.Helper()
	select {
	case r := <-p.terminated:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("Terminate was not called within 5s")
		return sock.Reason{}
	}
}

// gorillaOnly skips a test of something only the gorilla host has.
func gorillaOnly(t *testing.T, why string) {
	if hosttest.OnGws() {
		t.Skip(why)
	}
}

// serve starts a loopback server whose factory hands out h, and shuts it
// down at cleanup.
func serve(t testing.TB, h sock.Handler, opts *sockhttp.Options) (*httptest.Server, *sockhttp.Server) {
	t.Helper()
	return serveFactory(t, func(*http.Request) (sockhttp.Accept, error) {
		return sockhttp.Accept{Handler: h}, nil
	}, opts)
}

func serveFactory(t testing.TB, f sockhttp.Factory, opts *sockhttp.Options) (*httptest.Server, *sockhttp.Server) {
	t.Helper()
	if hosttest.OnGws() && (opts == nil || opts.Host == nil) { // TestSuiteOnGws's child
		o := sockhttp.Options{}
		if opts != nil {
			o = *opts
		}
		o.Host = sockgws.Host(nil)
		opts = &o
	}
	ws := sockhttp.NewServer(f, opts)
	srv := httptest.NewServer(ws)
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ws.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return srv, ws
}

func wsURL(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") }

// dial connects a gorilla client and closes it at cleanup.
func dial(t testing.TB, srv *httptest.Server, header http.Header) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(wsURL(srv), header)
	if err != nil {
		t.Fatalf("Dial: %v (response %v)", err, resp)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	return c
}

// expectClose reads until the server's close frame and checks its code.
func expectClose(t testing.TB, c *websocket.Conn, want int) {
	t.Helper()
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("read error %v, want a close frame with %d", err, want)
		}
		if ce.Code != want {
			t.Fatalf("close code = %d (%q), want %d", ce.Code, ce.Text, want)
		}
		return
	}
}
