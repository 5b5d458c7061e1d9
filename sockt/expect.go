package sockt

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sockkit/sockkit/internal/lent"
	"github.com/sockkit/sockkit/sock"
)

// Frames the client reads wait in the Conn's inbox, in order, until an
// expectation takes one: ExpectPush takes the next message, ExpectPong the
// next pong, ExpectClose the close frame. What one kind of expectation
// passes over stays for the others: a test may check a message and then the
// pong that came before it.

// ExpectPush takes the next message the handler pushed, passing over pings
// and pongs, and fails the test unless m matches it: [Any] takes whatever
// came.
func (c *Conn) ExpectPush(m Matcher) sock.Frame {
	c.t.Helper()
	if m == nil {
		c.fatalf("ExpectPush(nil): give it a Matcher, such as sockt.Any()")
	}
	if c.d == nil {
		c.refused()
	}
	f, ok := c.take(isMessageOrClose, c.server.opts.Wait)
	switch {
	case !ok:
		c.fatalf("ExpectPush(%v): nothing was pushed", m)
	case f.Op == sock.OpClose:
		c.fatalf("ExpectPush(%v): the server closed instead: %v", m, f)
	case !m.Match(f):
		if e, exact := m.(equal); exact {
			c.fatalf("ExpectPush: pushed frame differs (-want +got):\n%s%s", cmp.Diff(frameLines(e.want), frameLines(f)), lent.Hint(f.Payload))
		}
		c.fatalf("ExpectPush: pushed frame does not match (-want +got):\n%s%s", cmp.Diff(m.String(), f.String()), lent.Hint(f.Payload))
	}
	return f
}

// ExpectText expects the next pushed message to be text s.
func (c *Conn) ExpectText(s string) {
	c.t.Helper()
	c.ExpectPush(Equal(sock.Text(s)))
}

// ExpectBinary expects the next pushed message to be binary b.
func (c *Conn) ExpectBinary(b []byte) {
	c.t.Helper()
	c.ExpectPush(Equal(sock.Binary(b)))
}

// RefutePush fails the test if the handler pushed a message that no
// expectation has taken. Over loopback it watches for [Options].Quiet.
func (c *Conn) RefutePush() {
	c.t.Helper()
	if c.d == nil {
		c.refused()
	}
	if f, ok := c.take(sock.Opcode.IsData, c.server.opts.Quiet); ok {
		c.fatalf("RefutePush: the handler pushed %v", f)
	}
}

// ExpectPong takes the next pong the client read and fails the test unless
// its payload is payload, byte for byte.
func (c *Conn) ExpectPong(payload []byte) {
	c.t.Helper()
	if c.d == nil {
		c.refused()
	}
	f, ok := c.take(func(op sock.Opcode) bool { return op == sock.OpPong }, c.server.opts.Wait)
	switch {
	case !ok:
		c.fatalf("ExpectPong(%x): no pong came", payload)
	case !bytes.Equal(f.Payload, payload):
		want := sock.Frame{Op: sock.OpPong, Payload: payload}
		c.fatalf("ExpectPong: pong payload differs (-want +got):\n%s", cmp.Diff(frameLines(want), frameLines(f)))
	}
}

// ExpectClose expects the server's close frame, with code and text, once
// the messages pushed before it have been taken. For a protocol error that
// gorilla/websocket detects itself (a bad close code, a reserved opcode...),
// its 1002 frame carries a text of its own over loopback, where the
// simulator's is empty: check such an end with [Conn.ExpectTerminate].
func (c *Conn) ExpectClose(code sock.CloseCode, text string) {
	c.t.Helper()
	if c.d == nil {
		c.refused()
	}
	f, ok := c.take(isMessageOrClose, c.server.opts.Wait)
	if !ok {
		c.fatalf("ExpectClose(%d, %q): the server sent no close frame", int(code), text)
	}
	if f.Op != sock.OpClose {
		c.fatalf("ExpectClose(%d, %q): the handler pushed %v first (take it with ExpectPush)", int(code), text, f)
	}
	type closeFrame struct {
		Code sock.CloseCode
		Text string
	}
	gotCode, gotText, err := f.ParseClose()
	if err != nil {
		c.fatalf("ExpectClose: malformed close frame %x: %v", f.Payload, err)
	}
	if diff := cmp.Diff(closeFrame{code, text}, closeFrame{gotCode, gotText}); diff != "" {
		c.fatalf("ExpectClose: (-want +got):\n%s", diff)
	}
}

// ExpectTerminate expects Terminate to have run once with a reason of kind
// and returns the reason. A test that calls it has looked at how the
// connection ended: a callback's panic or refused Result does not fail it
// at cleanup.
func (c *Conn) ExpectTerminate(kind sock.ReasonKind) sock.Reason {
	c.t.Helper()
	if c.d == nil {
		c.refused()
	}
	c.server.mustBeInProcess("ExpectTerminate")
	r, n := c.d.terminated(c.server.opts.Wait)
	switch {
	case n == 0:
		c.fatalf("ExpectTerminate(%v): Terminate has not run", kind)
	case n > 1:
		c.fatalf("ExpectTerminate(%v): Terminate ran %d times", kind, n)
	case r.Kind != kind:
		c.fatalf("ExpectTerminate: reason kind (-want +got):\n%s\nreason: %v", cmp.Diff(kind.String(), r.Kind.String()), r)
	}
	c.saw = true
	return r
}

func isMessageOrClose(op sock.Opcode) bool { return op.IsData() || op == sock.OpClose }

// take removes and returns the first frame in the inbox whose opcode want
// accepts, reading more frames, for up to wait, until one comes; the frames
// it passes stay in the inbox. The connection is an accepted one.
func (c *Conn) take(want func(sock.Opcode) bool, wait time.Duration) (sock.Frame, bool) {
	for i, f := range c.inbox {
		if want(f.Op) {
			c.inbox = slices.Delete(c.inbox, i, i+1)
			return f, true
		}
	}
	deadline := time.Now().Add(wait)
	for {
		f, ok := c.d.next(time.Until(deadline))
		switch {
		case ok && f.Op == sock.OpPong && string(f.Payload) == syncPayload:
			continue // a Sync's, come late
		case !ok || want(f.Op):
			return f, ok
		}
		c.inbox = append(c.inbox, f)
	}
}

// frameLines renders f for a diff: its opcode and size, then its whole
// payload 32 bytes a line, so that frames differing anywhere show where.
func frameLines(f sock.Frame) []string {
	const row = 32
	lines := []string{fmt.Sprintf("%v, %d bytes", f.Op, len(f.Payload))}
	for off := 0; off < len(f.Payload); off += row {
		chunk := f.Payload[off:min(off+row, len(f.Payload))]
		if f.Op == sock.OpText {
			lines = append(lines, fmt.Sprintf("%5d %q", off, chunk))
		} else {
			lines = append(lines, fmt.Sprintf("%5d % x", off, chunk))
		}
	}
	return lines
}
