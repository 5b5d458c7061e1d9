package sockgws_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockkit/sockkit/scenarios"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockgws"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

var echo = sock.HandlerFunc(func(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) })

func newServer() *sockhttp.Server {
	return sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return echo }),
		&sockhttp.Options{Host: sockgws.Host(nil), ConnOptions: &sock.Options{MaxMessageSize: 1 << 20}})
}

// The protocol cases of scenarios.Conformance, over loopback through the
// gws host, as through gorilla.
func TestConformance(t *testing.T) { scenarios.Conformance(t, newServer, nil) }

// Messages of every size come back whole; pings are answered by the
// Session; the subprotocol and the factory's headers reach the client.
func TestEchoThroughGws(t *testing.T) {
	ws := sockhttp.NewServer(func(*http.Request) (sockhttp.Accept, error) {
		return sockhttp.Accept{Handler: echo, Header: http.Header{"X-Room": {"lobby"}}}, nil
	}, &sockhttp.Options{Host: sockgws.Host(nil), Subprotocols: []string{"v1"}})
	srv := httptest.NewServer(ws)
	defer srv.Close()
	d := websocket.Dialer{Subprotocols: []string{"v1"}}
	c, resp, err := d.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Subprotocol() != "v1" || resp.Header.Get("X-Room") != "lobby" {
		t.Errorf("subprotocol %q, X-Room %q", c.Subprotocol(), resp.Header.Get("X-Room"))
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 1 << 20} {
		msg := bytes.Repeat([]byte{'x'}, n)
		c.WriteMessage(websocket.BinaryMessage, msg)
		if op, got, err := c.ReadMessage(); err != nil || op != websocket.BinaryMessage || !bytes.Equal(got, msg) {
			t.Fatalf("echo of %d bytes: op %d, %d bytes, %v", n, op, len(got), err)
		}
	}
	pong := make(chan string, 1)
	c.SetPongHandler(func(s string) error { pong <- s; return nil })
	c.WriteControl(websocket.PingMessage, []byte("hi"), time.Now().Add(time.Second))
	c.WriteMessage(websocket.TextMessage, []byte("after"))
	if _, got, err := c.ReadMessage(); err != nil || string(got) != "after" {
		t.Fatalf("%q, %v", got, err)
	}
	if got := <-pong; got != "hi" {
		t.Errorf("pong %q", got)
	}
}

// The simulator and the gws host agree on what clients see, as they do
// for gorilla: scenarios.Differential replays each scenario both ways.
func TestDifferential(t *testing.T) {
	for name, text := range map[string]string{
		"echo and close": `connect ada
ada send text "hello"
ada send binary 0x0001ff
ada send ping "hb"
ada send close 4000 "bye"
`,
		"the size limit": `connect ada
ada send binary 0x00*1048576
connect bob
bob send binary 0x00*1048577
`,
		"broken text and codes": `connect ada
ada send text "caf\xe9"
connect bob
bob send close 0x03
connect cy
cy send close 1005
connect dee
dee send pong "unasked"
dee send close 1000
`,
	} {
		t.Run(name, func(t *testing.T) {
			s, err := scenarios.Parse(name, []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			scenarios.Differential(t, newServer, s, nil)
		})
	}
}
