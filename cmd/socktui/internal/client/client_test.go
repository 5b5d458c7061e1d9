package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type echo struct{}

func (echo) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) }

// server serves echo on /echo and refuses the rest with 404, on loopback.
func server(t *testing.T) string {
	ws := sockhttp.NewServer(func(r *http.Request) (sockhttp.Accept, error) {
		if r.URL.Path != "/echo" {
			return sockhttp.Accept{}, &sockhttp.Refusal{Status: http.StatusNotFound, Body: "no such endpoint"}
		}
		acc := sockhttp.Accept{Handler: echo{}}
		if strings.Contains(r.Header.Get("Sec-WebSocket-Protocol"), "echo.v1") {
			acc.Subprotocol = "echo.v1"
		}
		return acc, nil
	}, &sockhttp.Options{Subprotocols: []string{"echo.v1"}})
	hs := httptest.NewServer(ws)
	t.Cleanup(func() {
		ws.Shutdown(context.Background())
		hs.Close()
	})
	return hs.URL
}

// next returns the connection's next event, failing after a second.
func next(t *testing.T, c *Conn) Event {
	t.Helper()
	select {
	case e, ok := <-c.Events():
		if !ok {
			t.Fatal("no more events")
		}
		return e
	case <-time.After(time.Second):
		t.Fatal("no event within a second")
	}
	return Event{}
}

func want(t *testing.T, e Event, kind Kind, f sock.Frame) {
	t.Helper()
	if e.Kind != kind || e.Frame.Op != f.Op || string(e.Frame.Payload) != string(f.Payload) {
		t.Fatalf("event %v %v, want %v %v", e.Kind, e.Frame, kind, f)
	}
}

func TestConversation(t *testing.T) {
	base := server(t)
	c, err := Dial(t.Context(), Config{URL: base + "/echo", Subprotocols: []string{"echo.v1"}, Header: http.Header{"X-Test": {"1"}}})
	if err != nil {
		t.Fatal(err)
	}
	e := next(t, c)
	if e.Kind != Opened || e.Handshake.Status != 101 || e.Handshake.Subprotocol != "echo.v1" {
		t.Fatalf("first event %+v, want Opened with echo.v1", e)
	}
	// gorilla's dialer sets Sec-WebSocket-Key under that spelling, not
	// http.Header's canonical one.
	//lint:ignore SA1008 the key as gorilla spells it
	if h := e.Handshake.RequestHeader; h.Get("X-Test") != "1" || h["Sec-WebSocket-Key"] == nil || h.Get("Host") == "" {
		t.Errorf("the handshake's request header %v lacks what was sent", h)
	}

	c.Send(sock.Text("hello"))
	want(t, next(t, c), Out, sock.Text("hello")) // before its answer, always
	want(t, next(t, c), In, sock.Text("hello"))
	c.Send(sock.Text("caf\xe9")) // what the server must refuse, sent as it is
	want(t, next(t, c), Out, sock.Text("caf\xe9"))
	want(t, next(t, c), In, sock.CloseFrame(sock.CloseInvalidPayload, ""))
	want(t, next(t, c), Out, sock.CloseFrame(sock.CloseInvalidPayload, ""))
	if e := next(t, c); e.Kind != Closed || e.Err != nil {
		t.Fatalf("event %+v, want a clean Closed", e)
	}
	if _, ok := <-c.Events(); ok {
		t.Error("events after Closed")
	}
	if err := c.Send(sock.Text("late")); err == nil {
		t.Error("Send after the end succeeded")
	}
}

func TestPingTimesItsPong(t *testing.T) {
	c, _ := Dial(t.Context(), Config{URL: server(t) + "/echo"})
	next(t, c)
	c.Send(sock.Frame{Op: sock.OpPing, Payload: []byte("p1")})
	want(t, next(t, c), Out, sock.Frame{Op: sock.OpPing, Payload: []byte("p1")})
	e := next(t, c)
	want(t, e, In, sock.Frame{Op: sock.OpPong, Payload: []byte("p1")})
	if e.RTT <= 0 {
		t.Errorf("pong RTT %v, want it timed", e.RTT)
	}
	c.Close(sock.CloseNormal, "bye")
	want(t, next(t, c), Out, sock.CloseFrame(sock.CloseNormal, "bye"))
	want(t, next(t, c), In, sock.CloseFrame(sock.CloseNormal, ""))
	if e := next(t, c); e.Kind != Closed || e.Err != nil {
		t.Fatalf("event %+v, want a clean Closed", e)
	}
}

func TestRefused(t *testing.T) {
	c, _ := Dial(t.Context(), Config{URL: server(t) + "/nowhere"})
	e := next(t, c)
	if e.Kind != Refused || e.Handshake.Status != http.StatusNotFound || e.Handshake.Body != "no such endpoint" {
		t.Fatalf("event %+v, want Refused 404 with its body", e)
	}
	if e := next(t, c); e.Kind != Closed || e.Err == nil {
		t.Fatalf("event %+v, want Closed with the error", e)
	}
}

func TestDrop(t *testing.T) {
	c, _ := Dial(t.Context(), Config{URL: server(t) + "/echo"})
	next(t, c)
	c.Drop()
	if e := next(t, c); e.Kind != Closed || !errors.Is(e.Err, ErrDropped) {
		t.Fatalf("event %+v, want Closed with ErrDropped", e)
	}
}

// A client that stopped reading still sees its connection end, dropped or
// closed.
func TestEndWhileNotReading(t *testing.T) {
	for _, end := range []string{"drop", "close"} {
		t.Run(end, func(t *testing.T) {
			c, _ := Dial(t.Context(), Config{URL: server(t) + "/echo"})
			next(t, c)
			c.Reading(false)
			c.Send(sock.Text("one"))
			want(t, next(t, c), Out, sock.Text("one"))
			if end == "drop" {
				c.Drop()
			} else {
				c.Close(sock.CloseNormal, "")
			}
			for {
				if e := next(t, c); e.Kind == Closed {
					return
				}
			}
		})
	}
}

// A control frame over 125 bytes is refused at once: gorilla would not
// write it, and SendRaw is there for that.
func TestSendRefusesOversizeControl(t *testing.T) {
	c, _ := Dial(t.Context(), Config{URL: server(t) + "/echo"})
	next(t, c)
	if err := c.Close(sock.CloseNormal, strings.Repeat("r", 124)); err == nil {
		t.Error("a close frame of 126 bytes was queued")
	}
	c.Drop()
	for range c.Events() {
	}
}

// SendWait loses nothing when the sender outruns the connection.
func TestSendWaitLosesNothing(t *testing.T) {
	c, _ := Dial(t.Context(), Config{URL: server(t) + "/echo"})
	next(t, c)
	const n = 20000
	go func() {
		for i := range n {
			if err := c.SendWait(sock.Text(strconv.Itoa(i))); err != nil {
				t.Error(err)
				return
			}
		}
		c.Close(sock.CloseNormal, "")
	}()
	in := 0
	for e := range c.Events() {
		if e.Kind == In && e.Frame.Op == sock.OpText {
			in++
		}
	}
	if in != n {
		t.Errorf("%d messages echoed of %d sent", in, n)
	}
}
