package sim_test

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
)

// upper upper-cases a message in place, in the payload it was lent (which
// it may change until it returns), and pushes it from a buffer it reuses for
// every reply (which it may, once the reply is written).
type upper struct{ buf []byte }

func (u *upper) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result {
	copy(msg.Payload, bytes.ToUpper(msg.Payload))
	u.buf = append(u.buf[:0], msg.Payload...)
	return sock.Push(sock.Text(string(msg.Payload)), sock.Frame{Op: sock.OpBinary, Payload: u.buf})
}

// The trace and the peer keep their own copies: what a handler does with
// the frames it was handed or pushed does not rewrite history.
func TestTraceKeepsItsOwnCopies(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(&upper{}, nil)
	c.SendText("hello")
	c.SendText("bye!!")
	want := []string{
		`0s c1 client text "hello"`,
		`0s c1 call HandleIn text "hello"`,
		`0s c1 server text "HELLO"`,
		`0s c1 server binary 48454c4c4f`, // HELLO, though the buffer now holds BYE!!
		`0s c1 client text "bye!!"`,
		`0s c1 call HandleIn text "bye!!"`,
		`0s c1 server text "BYE!!"`,
		"0s c1 server binary 4259452121",
	}
	if diff := cmp.Diff(want, lines(w, "client text", "call HandleIn", "server")); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	var got []string
	for f, ok := c.Read(); ok; f, ok = c.Read() {
		got = append(got, f.String())
	}
	if diff := cmp.Diff([]string{`text "HELLO"`, "binary 48454c4c4f", `text "BYE!!"`, "binary 4259452121"}, got); diff != "" {
		t.Errorf("frames the peer read (-want +got):\n%s", diff)
	}
}

// bug misbehaves on command.
type bug struct{}

func (bug) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result {
	switch string(msg.Payload) {
	case "panic":
		panic("boom")
	case "bad text":
		return sock.Push(sock.Frame{Op: sock.OpText, Payload: []byte{0xff}})
	case "bad close":
		return sock.StopWith(&sock.CloseError{Code: sock.CloseAbnormal})
	}
	return sock.Stop()
}

func (bug) Terminate(*sock.Conn, sock.Reason) { panic("in Terminate") }

// Handler bugs that sock survives are in the trace, as bugs, where they
// happened.
func TestTraceShowsHandlerBugs(t *testing.T) {
	for _, tc := range []struct {
		send string
		want []string
	}{
		{"panic", []string{"bug HandleIn panicked: boom", "bug Terminate panicked: in Terminate"}},
		{"bad text", []string{"bug refused Result: sock: invalid handler result: text frame is not UTF-8", "bug Terminate panicked: in Terminate"}},
		{"bad close", []string{"bug refused Result: sock: invalid handler result: close code 1006 may not be sent (stopping with: sock: close 1006 (abnormal closure))", "bug Terminate panicked: in Terminate"}},
		{"stop", []string{"bug Terminate panicked: in Terminate"}},
	} {
		t.Run(tc.send, func(t *testing.T) {
			w := sim.New(1)
			c := w.Connect(bug{}, nil)
			c.SendText(tc.send)
			var got []string
			for _, l := range lines(w, " bug ") {
				got = append(got, strings.TrimPrefix(l, "0s c1 "))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("bugs in the trace (-want +got):\n%s\n%s", diff, w.Trace())
			}
			if r := c.Session().Reason(); r.Kind != sock.ReasonError {
				t.Errorf("Reason() = %v, want an error: Terminate panicked", r)
			}
		})
	}
}

// An info and a shutdown each have a kind of their own.
func TestTraceTellsInfoFromShutdown(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(shouter{}, nil)
	c.SendInfo("shutdown")
	c.Shutdown()
	want := []string{`0s c1 info shutdown`, `0s c1 shutdown server going away`}
	if diff := cmp.Diff(want, lines(w, "c1 info", "c1 shutdown")); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

// zero sets After(0) timers: n of them in a chain, or forever.
type zero struct {
	n     int
	fired int
}

func (z *zero) Init(c *sock.Conn) sock.Result {
	c.After(0, "tick")
	return sock.Continue()
}

func (z *zero) HandleIn(*sock.Conn, sock.Frame) sock.Result { return sock.Continue() }

func (z *zero) HandleInfo(c *sock.Conn, _ any) sock.Result {
	z.fired++
	if z.n < 0 || z.fired < z.n {
		c.After(0, "tick")
	}
	return sock.Continue()
}

// A timer due now fires now, as under Serve, without waiting for the next
// Advance; a chain of them is bounded, and reported.
func TestZeroDelayTimers(t *testing.T) {
	t.Run("fire at once", func(t *testing.T) {
		w := sim.New(1)
		z := &zero{n: 5}
		w.Connect(z, nil)
		if z.fired != 5 {
			t.Errorf("after Connect, %d zero-delay timers fired, want 5", z.fired)
		}
	})
	t.Run("a loop is bounded", func(t *testing.T) {
		w := sim.New(1)
		z := &zero{n: -1}
		c := w.Connect(z, &sock.Options{IdleTimeout: time.Second})
		if z.fired > 1000 {
			t.Errorf("one instant fired %d zero-delay timers, want at most 1000", z.fired)
		}
		if got := lines(w, "bug loop"); len(got) != 1 {
			t.Errorf("trace lines about the loop: %q", got)
		}
		w.Advance(2 * time.Second) // the loop goes on at the next instant; the idle timeout still fires
		if c.Reason().Kind != sock.ReasonTimeout {
			t.Errorf("Reason() = %v, want the idle timeout", c.Reason())
		}
	})
}

// selfish sends itself an info from every HandleInfo, forever.
type selfish struct{ got int }

func (s *selfish) HandleIn(c *sock.Conn, _ sock.Frame) sock.Result {
	c.SendInfo("again")
	return sock.Continue()
}

func (s *selfish) HandleInfo(c *sock.Conn, info any) sock.Result {
	s.got++
	c.SendInfo(info)
	return sock.Continue()
}

// A handler that sends itself infos forever is stopped and reported too,
// and the world keeps going.
func TestInfoLoopIsBounded(t *testing.T) {
	w := sim.New(1)
	h := &selfish{}
	c := w.Connect(h, &sock.Options{IdleTimeout: time.Second})
	c.SendText("start")
	if h.got > 1000 {
		t.Errorf("one step delivered %d infos, want at most 1000", h.got)
	}
	if got := lines(w, "bug loop"); len(got) != 1 {
		t.Errorf("trace lines about the loop: %q", got)
	}
	w.Advance(2 * time.Second)
	if c.Reason().Kind != sock.ReasonTimeout {
		t.Errorf("Reason() = %v, want the idle timeout", c.Reason())
	}
}

// A message sent in fragments over a long time keeps the connection alive.
func TestSlowFragmentsAreActivity(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(echo, &sock.Options{IdleTimeout: 10 * time.Second})
	c.SendFragment(sock.OpBinary, []byte{1}, false)
	for range 5 {
		w.Advance(8 * time.Second)
		c.SendFragment(sock.OpContinuation, []byte{2}, false)
	}
	c.SendFragment(sock.OpContinuation, []byte{3}, true)
	if f, ok := c.Read(); !ok || !bytes.Equal(f.Payload, []byte{1, 2, 2, 2, 2, 2, 3}) {
		t.Fatalf("Read() = %v, %v; want the echo of the 7-byte message\n%s", f, ok, w.Trace())
	}
	w.Advance(10 * time.Second) // then silence
	if c.Reason().Kind != sock.ReasonTimeout {
		t.Errorf("Reason() = %v, want the idle timeout", c.Reason())
	}
}

// A message whose fragments pass the size limit fails as soon as they do, as
// over a real transport, not once it is whole.
func TestFragmentsOverTheLimit(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(echo, &sock.Options{MaxMessageSize: 10})
	c.SendFragment(sock.OpBinary, make([]byte, 8), false)
	c.SendFragment(sock.OpContinuation, make([]byte, 8), false)
	if r := c.Reason(); r.Kind != sock.ReasonError || r.Code != sock.CloseTooBig || !errors.Is(r.Err, sock.ErrMessageTooBig) {
		t.Errorf("Reason() = %v, want error 1009 wrapping ErrMessageTooBig", r)
	}
}

func TestFragmentViolations(t *testing.T) {
	for _, tc := range []struct {
		name string
		act  func(c *sim.Conn)
	}{
		{"continuation without a message", func(c *sim.Conn) { c.SendFragment(sock.OpContinuation, []byte("x"), true) }},
		{"new message inside a fragmented one", func(c *sim.Conn) {
			c.SendFragment(sock.OpText, []byte("a"), false)
			c.SendText("b")
		}},
		{"fragmented ping", func(c *sim.Conn) { c.SendFragment(sock.OpPing, nil, false) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := sim.New(1)
			c := w.Connect(echo, nil)
			tc.act(c)
			if r := c.Reason(); r.Kind != sock.ReasonError || r.Code != sock.CloseProtocolError {
				t.Errorf("Reason() = %v, want error 1002", r)
			}
		})
	}
}

// ConnectWith hands the handler the request and subprotocol a server's
// negotiation decided.
func TestConnectWith(t *testing.T) {
	w := sim.New(1)
	var got *sock.Conn
	h := sock.HandlerFunc(func(c *sock.Conn, _ sock.Frame) sock.Result { got = c; return sock.Continue() })
	r := httptest.NewRequest("GET", "/room?id=7", nil)
	c := w.ConnectWith(h, sock.ConnInfo{ID: 99, Request: r, Subprotocol: "chat"}, nil)
	c.SendText("x")
	if got.Request() != r || got.Subprotocol() != "chat" || got.ID() != 1 || c.ID() != 1 {
		t.Errorf("the handler saw request %v, subprotocol %q, ID %d (sim ID %d); want the request, chat, 1", got.Request(), got.Subprotocol(), got.ID(), c.ID())
	}
}
