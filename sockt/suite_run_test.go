package sockt_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sockt"
)

// The simulator and a real socket agree on each handler of the suite.

func TestEchoBothWays(t *testing.T) {
	sockt.Run(t, func() sock.Handler { return echo{} }, onTestHost(nil), func(t *testing.T, c *sockt.Conn) {
		c.SendText("hello")
		c.ExpectText("hello")
		c.SendBinary([]byte{1, 2, 3})
		c.ExpectBinary([]byte{1, 2, 3})
		c.Ping([]byte("hb"))
		c.ExpectPong([]byte("hb"))
		c.RefutePush()
		c.SendText(string([]byte{0xff}))
		c.ExpectClose(sock.CloseInvalidPayload, "")
		r := c.ExpectTerminate(sock.ReasonError)
		if !errors.Is(r.Err, sock.ErrInvalidUTF8) {
			t.Errorf("Terminate reason = %v, want ErrInvalidUTF8", r)
		}
	})
}

func TestCloseWith4000BothWays(t *testing.T) {
	sockt.Run(t, func() sock.Handler { return &counter{period: time.Hour} }, onTestHost(nil), func(t *testing.T, c *sockt.Conn) {
		c.SendText("stop")
		c.ExpectClose(4000, "stopped at 0")
		r := c.ExpectTerminate(sock.ReasonNormal)
		if r.Code != 4000 {
			t.Errorf("Terminate code = %d, want 4000", r.Code)
		}
	})
}

func TestPanicBothWays(t *testing.T) {
	sockt.Run(t, func() sock.Handler { return panicky{} }, onTestHost(nil), func(t *testing.T, c *sockt.Conn) {
		c.SendText("fine")
		c.ExpectText("fine")
		c.SendText("boom")
		c.ExpectClose(sock.CloseInternalError, "")
		r := c.ExpectTerminate(sock.ReasonError)
		var pe *sock.PanicError
		if !errors.As(r.Err, &pe) || pe.Value != "boom" {
			t.Errorf("Terminate reason = %v, want a *PanicError boom", r)
		}
	})
}

func TestCounter(t *testing.T) {
	// Over loopback Advance sleeps: the period is short, but well above the
	// 50ms for which RefutePush watches.
	const period = 300 * time.Millisecond
	sockt.Run(t, func() sock.Handler { return &counter{period: period} }, onTestHost(nil), func(t *testing.T, c *sockt.Conn) {
		c.SendText("hello")
		c.RefutePush()    // counter ignores messages
		c.Advance(period) // virtual in "sim", a real sleep in "loopback"
		c.ExpectText("tick 1")
		c.Advance(period)
		c.ExpectPush(sockt.Regexp(`^tick \d+$`)) // also Contains, JSON, Any
		c.Ping([]byte("hb"))
		c.ExpectPong([]byte("hb"))
		c.SendText("stop")
		c.ExpectClose(4000, "stopped at 2")
		c.ExpectTerminate(sock.ReasonNormal)
	})
}

// TestRoom is the README's negotiation test: the room's real server, its
// factory refusing a stranger and admitting members by token.
func TestRoom(t *testing.T) {
	sockt.RunServer(t, newRoomServer, nil, func(t *testing.T, s *sockt.Server) {
		stranger := s.Connect(join("guessed"))
		if refusal := stranger.ExpectRefused(http.StatusUnauthorized); refusal.Body != "unknown token" {
			t.Errorf("refusal body = %q", refusal.Body)
		}
		ada := s.Connect(join("ada-token"))
		ada.ExpectAccepted("chat.v1")
		ada.ExpectText("welcome, ada")
		bob := s.Connect(join("bob-token"))
		bob.ExpectText("welcome, bob")
		ada.SendText("hi bob")
		bob.ExpectText("ada: hi bob")
		ada.RefutePush() // no echo to the sender
		bob.Close(sock.CloseNormal, "")
		bob.ExpectTerminate(sock.ReasonRemote)
		ada.SendText("anyone?")
		ada.RefutePush()
	})
}

// Shutting the server down closes every connection with 1001, and the
// server refuses new ones.
func TestServerShutdownBothWays(t *testing.T) {
	sockt.Run(t, func() sock.Handler { return echo{} }, onTestHost(nil), func(t *testing.T, a *sockt.Conn) {
		b := a.Connect()
		b.SendText("still here")
		b.ExpectText("still here")
		a.Server().Shutdown()
		for _, c := range []*sockt.Conn{a, b} {
			c.ExpectClose(sock.CloseGoingAway, "server shutdown")
			c.ExpectTerminate(sock.ReasonShutdown)
		}
		a.Connect().ExpectRefused(http.StatusServiceUnavailable)
	})
}

// 1014 may be neither sent nor received, in the simulator and over gorilla
// alike: a peer sending it breaks the protocol (gorilla's close frame
// carries a text of its own, so the test looks at the reason), a handler
// closing with it has a bug.
func TestPeerClosingWith1014BothWays(t *testing.T) {
	sockt.Run(t, func() sock.Handler { return echo{} }, onTestHost(nil), func(t *testing.T, c *sockt.Conn) {
		c.Close(sock.CloseBadGateway, "")
		r := c.ExpectTerminate(sock.ReasonError)
		if r.Code != sock.CloseProtocolError || !errors.Is(r.Err, sock.ErrProtocol) {
			t.Errorf("Terminate reason = %v, want error 1002 wrapping ErrProtocol", r)
		}
	})
}

func TestHandlerClosingWith1014BothWays(t *testing.T) {
	closer := sock.HandlerFunc(func(*sock.Conn, sock.Frame) sock.Result { return sock.Close(sock.CloseBadGateway, "") })
	sockt.Run(t, func() sock.Handler { return closer }, onTestHost(nil), func(t *testing.T, c *sockt.Conn) {
		c.SendText("close with 1014")
		c.ExpectClose(sock.CloseInternalError, "")
		if r := c.ExpectTerminate(sock.ReasonError); !errors.Is(r.Err, sock.ErrBadResult) {
			t.Errorf("Terminate reason = %v, want ErrBadResult", r)
		}
	})
}

// A handler may push text only if it is UTF-8: browsers fail the
// connection on anything else.
func TestInvalidTextPushedBothWays(t *testing.T) {
	bad := sock.HandlerFunc(func(*sock.Conn, sock.Frame) sock.Result {
		return sock.Push(sock.Frame{Op: sock.OpText, Payload: []byte("caf\xe9")})
	})
	sockt.Run(t, func() sock.Handler { return bad }, onTestHost(nil), func(t *testing.T, c *sockt.Conn) {
		c.SendText("latin-1, please")
		c.ExpectClose(sock.CloseInternalError, "")
		if r := c.ExpectTerminate(sock.ReasonError); !errors.Is(r.Err, sock.ErrBadResult) {
			t.Errorf("Terminate reason = %v, want ErrBadResult", r)
		}
	})
}

// SendFrame sends what the client libraries' usual calls do not: here an
// unsolicited pong, which reaches HandleControl in both modes.
func TestSendFrameBothWays(t *testing.T) {
	sockt.Run(t, func() sock.Handler { return controlEcho{} }, onTestHost(nil), func(t *testing.T, c *sockt.Conn) {
		c.SendFrame(sock.Frame{Op: sock.OpPong, Payload: []byte("unasked")})
		c.ExpectText("saw pong 756e61736b6564")
		if (c.Sim() == nil) != (c.Server().World() == nil) {
			t.Errorf("Sim() = %v but World() = %v: both or neither, as the mode has them", c.Sim(), c.Server().World())
		}
	})
}

// controlEcho pushes what HandleControl sees.
type controlEcho struct{}

func (controlEcho) HandleIn(*sock.Conn, sock.Frame) sock.Result { return sock.Continue() }
func (controlEcho) HandleControl(_ *sock.Conn, f sock.Frame) sock.Result {
	return sock.Push(sock.Text("saw " + f.String()))
}

func TestEndBothWays(t *testing.T) {
	sockt.Run(t, func() sock.Handler { return echo{} }, onTestHost(nil), func(t *testing.T, c *sockt.Conn) {
		c.SendText("a")
		c.ExpectText("a") // taken by an Expect method, End still returns it
		c.Ping([]byte("p"))
		c.SendBinary([]byte{1})
		frames, r := c.End()
		want := []sock.Frame{sock.Text("a"), {Op: sock.OpPong, Payload: []byte("p")}, sock.Binary([]byte{1}), sock.CloseFrame(sock.CloseNormal, "")}
		if diff := cmp.Diff(want, frames); diff != "" {
			t.Errorf("End's frames (-want +got):\n%s", diff)
		}
		if r.Kind != sock.ReasonRemote || r.Code != sock.CloseNormal {
			t.Errorf("End's reason = %v, want the client's close 1000", r)
		}
		if again, _ := c.End(); len(again) != len(frames) {
			t.Errorf("End again returned %d frames, then %d", len(frames), len(again))
		}
	})
}

func TestSyncBothWays(t *testing.T) {
	sockt.Run(t, func() sock.Handler { return &counter{period: time.Hour} }, onTestHost(nil), func(t *testing.T, c *sockt.Conn) {
		c.SendText("hello")
		if !c.Sync() {
			t.Fatal("Sync on an open connection reported that it ended")
		}
		c.SendText("stop")
		if c.Sync() {
			t.Error("Sync after the handler closed reported the connection open")
		}
		c.ExpectClose(4000, "stopped at 0") // Sync kept it for the Expect methods
		if c.Sync() {
			t.Error("Sync on an ended connection reported it open")
		}
	})
}

// In the simulator, a peer that stopped reading cannot read Sync's pong:
// the connection is open all the same, and the pong, read later, is none of
// the test's.
func TestSyncWhileNotReading(t *testing.T) {
	c := sockt.New(t, func() sock.Handler { return echo{} }, nil)
	c.Sim().StopReading()
	if !c.Sync() {
		t.Fatal("Sync reported an open connection ended")
	}
	c.Sim().ResumeReading()
	c.Ping([]byte("mine"))
	c.ExpectPong([]byte("mine"))
}
