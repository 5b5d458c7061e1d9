package sim_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
)

// previous pushes, for every message, the message before it: with keep, a
// copy of it; without, the payload it was lent, which is a bug.
type previous struct {
	last []byte
	keep func([]byte) []byte
}

func (p *previous) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result {
	last := p.last
	p.last = p.keep(msg.Payload)
	if last == nil {
		return sock.Continue()
	}
	return sock.Push(sock.Text("before: "), sock.Frame{Op: sock.OpText, Payload: last})
}

func keptPayloadBugs(c *sim.Conn) []string {
	var kept []string
	for _, b := range c.Bugs() {
		if strings.HasPrefix(b, "kept payload:") {
			kept = append(kept, b)
		}
	}
	return kept
}

func TestKeptPayloadPushedLater(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(&previous{keep: func(p []byte) []byte { return p }}, nil)
	c.SendText("first")
	c.SendText("second")
	c.SendText("third")
	if got := keptPayloadBugs(c); len(got) != 1 {
		t.Errorf("kept-payload bugs %q, want one: reported once per connection", got)
	}
	frames := c.Received()
	if len(frames) != 4 {
		t.Fatalf("received %v, want 4 frames", frames)
	}
	if got := string(frames[1].Payload); got == "first" || !strings.HasPrefix(got, "paylo") {
		t.Errorf("the kept payload pushed later reads %q, want it overwritten", got)
	}
}

func TestCopiedPayloadPushedLater(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(&previous{keep: bytes.Clone}, nil)
	c.SendText("first")
	c.SendText("second")
	c.SendText("third")
	if bugs := c.Bugs(); len(bugs) > 0 {
		t.Errorf("bugs %q for a handler that copies", bugs)
	}
	var got []string
	for _, f := range c.Received() {
		got = append(got, string(f.Payload))
	}
	if want := "before: |first|before: |second"; strings.Join(got, "|") != want {
		t.Errorf("received %q, want %q", strings.Join(got, "|"), want)
	}
}

// hoarder keeps the payload it is lent in ways other than its own state: it
// sends it to another connection, or to itself through a timer.
type hoarder struct{ to *sock.Conn }

func (k hoarder) HandleIn(c *sock.Conn, msg sock.Frame) sock.Result {
	if k.to != nil {
		k.to.SendInfo(msg)
	} else {
		c.After(time.Second, msg)
	}
	return sock.Continue()
}

func (hoarder) HandleInfo(_ *sock.Conn, info any) sock.Result { return sock.Push(info.(sock.Frame)) }

func TestKeptPayloadThroughAnInfo(t *testing.T) {
	w := sim.New(1)
	other := w.Connect(hoarder{}, nil)
	c := w.Connect(hoarder{to: other.Session().Conn()}, nil)
	c.SendText("to the other")
	if got := keptPayloadBugs(other); len(got) != 1 {
		t.Errorf("kept-payload bugs %q on the connection that pushed it, want one", got)
	}
}

func TestKeptPayloadThroughATimer(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(hoarder{}, nil)
	c.SendText("for later")
	if got := keptPayloadBugs(c); len(got) != 0 {
		t.Errorf("kept-payload bugs %q before the timer fired", got)
	}
	w.Advance(time.Second)
	if got := keptPayloadBugs(c); len(got) != 1 {
		t.Errorf("kept-payload bugs %q once the timer fired, want one", got)
	}
}

// reuser pushes what it is lent in the callback it is lent to: an echo, a
// part of it, and, for a ping, a pong of its own with the ping's payload.
type reuser struct{}

func (reuser) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result {
	return sock.Push(msg, sock.Binary(msg.Payload[1:]))
}

func (reuser) HandleControl(_ *sock.Conn, f sock.Frame) sock.Result {
	if f.Op == sock.OpPing {
		return sock.Push(sock.Frame{Op: sock.OpPong, Payload: f.Payload})
	}
	return sock.Continue()
}

func TestLentPayloadPushedInItsCallback(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(reuser{}, nil)
	c.SendBinary([]byte("echo"))
	c.Ping([]byte("ping"))
	c.SendFragmented(sock.OpBinary, [][]byte{[]byte("frag"), []byte("ment")})
	if bugs := c.Bugs(); len(bugs) > 0 {
		t.Errorf("bugs %q for pushes in the callback that was lent the payload", bugs)
	}
	var got []string
	for _, f := range c.Received() {
		got = append(got, f.Op.String()+" "+string(f.Payload))
	}
	want := "binary echo|binary cho|pong ping|pong ping|binary fragment|binary ragment"
	if strings.Join(got, "|") != want {
		t.Errorf("received %q, want %q", strings.Join(got, "|"), want)
	}
}

// An echo the server's loop is stuck writing, and one written to a peer
// that stopped reading, keep what was pushed: the socket holds its own copy.
func TestLentPayloadEchoedToAPeerNotReading(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(echo, nil)
	c.SetBufferSize(6)
	c.StopReading()
	c.SendText("fits")
	c.SendText("blocks")
	c.SendText("waits") // read by the server once its loop is unstuck
	c.ResumeReading()
	var got []string
	for _, f := range c.Received() {
		got = append(got, string(f.Payload))
	}
	if want := "fits|blocks|waits"; strings.Join(got, "|") != want {
		t.Errorf("received %q, want %q", strings.Join(got, "|"), want)
	}
	if bugs := c.Bugs(); len(bugs) > 0 {
		t.Errorf("bugs %q", bugs)
	}
}

// The client's own slices are never overwritten: the Session is lent a
// copy.
func TestLendingLeavesTheClientsBytes(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(echo, nil)
	msg := []byte("mine")
	c.SendBinary(msg)
	if string(msg) != "mine" {
		t.Errorf("the client's slice reads %q after the send, want %q", msg, "mine")
	}
}

// emptier keeps an empty slice of the payload it is lent, and pushes it
// later: harmless, as nothing is read from it.
type emptier struct{ kept []byte }

func (e *emptier) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result {
	last := e.kept
	e.kept = msg.Payload[:0]
	if last == nil {
		return sock.Continue()
	}
	return sock.Push(sock.Binary(last))
}

func TestKeptEmptyPayloadIsNoBug(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(&emptier{}, nil)
	c.SendBinary([]byte("one"))
	c.SendBinary([]byte("two"))
	if bugs := c.Bugs(); len(bugs) > 0 {
		t.Errorf("bugs %q for an empty slice pushed", bugs)
	}
}

// appender appends to the payload it is lent: it must not write into the
// client's own slice, even an empty one with room to spare.
type appender struct{}

func (appender) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result {
	return sock.Push(sock.Binary(append(msg.Payload, '!')))
}

func TestLentPayloadHasNoSpareRoom(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(appender{}, nil)
	mine := make([]byte, 0, 8)
	c.SendBinary(mine)
	if got := mine[:1]; got[0] != 0 {
		t.Errorf("the client's spare room holds %q after the handler appended", got)
	}
	c.SendBinary(append(mine[:0], "ab"...))
	if got := mine[:3]; string(got) != "ab\x00" {
		t.Errorf("the client's slice reads %q after the handler appended, want %q", got, "ab\x00")
	}
}

// Large payloads are lent in buffers of their own, of which the lender
// remembers a bounded number of bytes: the last one kept is still told.
func TestKeptLargePayload(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(&previous{keep: func(p []byte) []byte { return p }}, &sock.Options{MaxMessageSize: 1 << 20})
	big := make([]byte, 1<<20)
	for range 10 {
		c.SendBinary(big)
	}
	if got := keptPayloadBugs(c); len(got) != 1 {
		t.Errorf("kept-payload bugs %q, want one for the megabyte kept", got)
	}
}
