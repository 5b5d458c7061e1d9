package scenarios

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
)

// invariants checks, step by step, that a simulated world's trace keeps the
// rules every connection must keep whatever its handler does (see
// docs/architecture.md): Init first and once, Terminate once and last, no
// callback after it, nothing written after the close frame and only legal
// close frames, every ping answered by its pong before anything else,
// messages reaching HandleIn whole and in the order sent. A break is a bug
// of sock's, not of the handler's.
type invariants struct {
	conns map[uint64]*connRules
}

// connRules is what invariants knows of one connection.
type connRules struct {
	inits, terms int
	closeWritten bool
	pongsDue     [][]byte  // payloads of pings sent while open, to be answered first
	messages     []message // messages sent and not yet handed to HandleIn, in order
	maxMessage   int64
}

// message is a message the client sent; the payload of one over the limit
// is not kept, as it is never handed over.
type message struct {
	sock.Frame
	size int
}

func newInvariants() *invariants {
	return &invariants{conns: map[uint64]*connRules{}}
}

func (v *invariants) conn(id uint64) *connRules {
	c := v.conns[id]
	if c == nil {
		c = &connRules{}
		v.conns[id] = c
	}
	return c
}

// sent tells of a whole message the client sent on c, before it is sent.
func (v *invariants) sent(c *sim.Conn, msg sock.Frame) {
	r := v.conn(c.ID())
	r.maxMessage = c.Session().Options().MaxMessageSize
	m := message{Frame: sock.Frame{Op: msg.Op}, size: len(msg.Payload)}
	if int64(m.size) <= r.maxMessage {
		m.Payload = bytes.Clone(msg.Payload)
	}
	r.messages = append(r.messages, m)
}

// check checks the next event, of a connection, and returns what it
// breaks, if anything.
func (v *invariants) check(e sim.Event) string {
	return v.conn(e.Conn).event(e)
}

// event checks one event of the connection's.
func (r *connRules) event(e sim.Event) string {
	switch e.Kind {
	case sim.Called:
		name := e.Detail.String()
		switch {
		case name == "Init":
			if r.inits++; r.inits > 1 {
				return "Init ran twice"
			}
		case r.inits == 0:
			return name + " before Init"
		case r.terms > 0:
			return name + " after Terminate"
		case name == "HandleIn":
			return r.handleIn(e.Frame)
		}
	case sim.Returned:
		if r.terms > 0 {
			return "a callback returned after Terminate"
		}
	case sim.Terminated:
		if r.terms++; r.terms > 1 {
			return "Terminate ran twice"
		}
	case sim.ClientSent:
		f := e.Frame
		if f.Op == sock.OpPing && r.inits > 0 && r.terms == 0 && len(f.Payload) <= 125 {
			r.pongsDue = append(r.pongsDue, f.Payload)
		}
	case sim.ServerWrote:
		if e.Frame.Op != 0 {
			return r.written(e.Frame)
		}
	}
	return ""
}

// handleIn checks that msg is the oldest message the client sent and the
// Session has not handed over yet.
func (r *connRules) handleIn(msg sock.Frame) string {
	if len(r.messages) == 0 {
		return fmt.Sprintf("HandleIn got %v, which the client never sent", msg)
	}
	want := r.messages[0]
	r.messages = r.messages[1:]
	switch {
	case want.Op == sock.OpText && !utf8.Valid(want.Payload):
		return "a text message that is not UTF-8 reached HandleIn"
	case int64(want.size) > r.maxMessage:
		return fmt.Sprintf("a message of %d bytes reached HandleIn, over the limit of %d", want.size, r.maxMessage)
	case want.Op != msg.Op || !bytes.Equal(want.Payload, msg.Payload):
		return fmt.Sprintf("HandleIn got %v where the client sent %v next", msg, want.Frame)
	}
	return ""
}

// written checks a frame the server wrote.
func (r *connRules) written(f sock.Frame) string {
	if r.closeWritten {
		return fmt.Sprintf("%v written after the close frame", f)
	}
	if len(r.pongsDue) > 0 {
		want := r.pongsDue[0]
		r.pongsDue = r.pongsDue[1:]
		if f.Op != sock.OpPong || !bytes.Equal(f.Payload, want) {
			return fmt.Sprintf("a ping of %x was answered by %v, not by its pong", want, f)
		}
	}
	switch f.Op {
	case sock.OpClose:
		r.closeWritten = true
		r.pongsDue = nil
		if _, _, err := f.ParseClose(); err != nil {
			return fmt.Sprintf("malformed close frame written: %v", err)
		}
	case sock.OpText:
		if !utf8.Valid(f.Payload) {
			return "text frame written that is not UTF-8"
		}
	}
	return ""
}
