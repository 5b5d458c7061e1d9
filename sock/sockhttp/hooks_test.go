package sockhttp_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// A server's hooks hear of upgrades, refusals and what every connection
// does, over a real socket; a connection with options of its own keeps
// the server's connection hooks unless it has its own.
func TestServerHooks(t *testing.T) {
	var mu sync.Mutex
	var log []string
	add := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		log = append(log, fmt.Sprintf(format, a...))
	}
	hooks := &sockhttp.Hooks{
		Upgraded: func(r *http.Request) { add("upgraded %s", r.URL.Path) },
		Refused:  func(r *http.Request, status int, err error) { add("refused %s %d", r.URL.Path, status) },
		Conn: &sock.Hooks{
			Received:   func(_ *sock.Conn, op sock.Opcode, n int) { add("received %s %d", op, n) },
			Terminated: func(_ *sock.Conn, r sock.Reason, _ time.Duration) { add("terminated %s %d", r.Kind, r.Code) },
		},
	}
	srv, _ := serveFactory(t, func(r *http.Request) (sockhttp.Accept, error) {
		if r.URL.Path == "/private" {
			return sockhttp.Accept{}, &sockhttp.Refusal{Status: http.StatusUnauthorized}
		}
		return sockhttp.Accept{Handler: newProbe(nil), ConnOptions: &sock.Options{MaxMessageSize: 1 << 10}}, nil
	}, &sockhttp.Options{Hooks: hooks})

	if _, status, _, _ := tryDial(t, wsURL(srv)+"/private", nil); status != http.StatusUnauthorized {
		t.Fatalf("status %d", status)
	}
	c := dial(t, srv, nil)
	c.WriteMessage(websocket.TextMessage, []byte("hello"))
	c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""))
	expectClose(t, c, 1000)

	want := []string{"refused /private 401", "upgraded /", "received text 5", "received close 2", "terminated remote 1000"}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		got := slices.Clone(log)
		mu.Unlock()
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("hooks heard %q, want %q", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A hook that panics on the connection's goroutine, breaking the Hooks
// contract, ends its connection, through a Server or Upgrade alike:
// Terminate runs and the socket is closed (net/http would recover the
// panic but leave a hijacked socket open), so neither the client nor the
// handler is left waiting.
func TestPanickingHookEndsTheConnection(t *testing.T) {
	hooks := &sock.Hooks{Received: func(_ *sock.Conn, _ sock.Opcode, n int) {
		if n == len("boom") {
			panic("hook bug")
		}
	}}
	onHosts(t, sockhttp.Options{ConnOptions: &sock.Options{Hooks: hooks, Logger: discard}}, func(t *testing.T, o *sockhttp.Options) {
		for _, via := range []string{"Server", "Upgrade"} {
			p := newProbe(nil)
			var h http.Handler = sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return p }), o)
			if via == "Upgrade" {
				h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sockhttp.Upgrade(w, r, p, o) })
			}
			srv := httptest.NewUnstartedServer(h)
			srv.Start()
			t.Cleanup(srv.Close)
			c := dial(t, srv, nil)
			c.WriteMessage(websocket.TextMessage, []byte("boom"))
			_, _, err := c.ReadMessage()
			var timeout net.Error
			if err == nil || errors.As(err, &timeout) && timeout.Timeout() {
				t.Errorf("%s: after a hook's panic the client read %v, want the connection closed", via, err)
			}
			var panicked *sock.PanicError
			if r := p.reason(t); r.Kind != sock.ReasonError || !errors.As(r.Err, &panicked) || panicked.Value != "hook bug" {
				t.Errorf("%s: Terminate's reason %v, want the hook's panic", via, r)
			}
		}
	})
}
