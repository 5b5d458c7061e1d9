package sim

import (
	"bytes"
	"fmt"

	"github.com/sockkit/sockkit/sock"
)

// Observe wraps h so that record hears of every callback call (an [Event] of
// kind [Called]), every Result returned ([Returned]) and the Terminate reason
// ([Terminated]), with the connection; record sets the event's At and Conn. The wrapper implements
// every optional interface and, where h lacks one, does what the Session would
// do without it, so h behaves as it does unwrapped; Init is always recorded,
// so record sees the connection first thing. record runs on the connection's
// goroutine. sim uses Observe for its traces; use it to trace a handler served
// over a real socket in the same format.
func Observe(h sock.Handler, record func(c *sock.Conn, e Event)) sock.Handler {
	return observe(h, record, true)
}

// observe wraps h like Observe; without calls, record hears only of
// Terminate.
func observe(h sock.Handler, record func(c *sock.Conn, e Event), calls bool) *observed {
	o := &observed{inner: h, record: record, calls: calls}
	o.init, _ = h.(sock.InitHandler)
	o.control, _ = h.(sock.ControlHandler)
	o.info, _ = h.(sock.InfoHandler)
	o.term, _ = h.(sock.TerminateHandler)
	return o
}

type observed struct {
	inner   sock.Handler
	init    sock.InitHandler
	control sock.ControlHandler
	info    sock.InfoHandler
	term    sock.TerminateHandler
	record  func(*sock.Conn, Event)
	calls   bool // record calls and results, not only Terminate
}

// returned records r; a callback that panics records nothing here: the
// Session's 1011 close and Terminate tell the story.
func (o *observed) returned(c *sock.Conn, r sock.Result) sock.Result {
	if o.calls {
		o.record(c, Event{Kind: Returned, Detail: r})
	}
	return r
}

// snapshot copies f's payload: the handler owns the frame it receives and may
// change it, which must not change the trace.
func snapshot(f sock.Frame) sock.Frame {
	return sock.Frame{Op: f.Op, Payload: bytes.Clone(f.Payload)}
}

func (o *observed) Init(c *sock.Conn) sock.Result {
	if o.calls {
		o.record(c, Event{Kind: Called, Detail: Note("Init")})
	}
	if o.init == nil {
		return o.returned(c, sock.Continue())
	}
	return o.returned(c, o.init.Init(c))
}

func (o *observed) HandleIn(c *sock.Conn, msg sock.Frame) sock.Result {
	if o.calls {
		o.record(c, Event{Kind: Called, Detail: Note("HandleIn"), Frame: snapshot(msg)})
	}
	return o.returned(c, o.inner.HandleIn(c, msg))
}

func (o *observed) HandleControl(c *sock.Conn, f sock.Frame) sock.Result {
	if o.control == nil {
		return sock.Continue()
	}
	if o.calls {
		o.record(c, Event{Kind: Called, Detail: Note("HandleControl"), Frame: snapshot(f)})
	}
	return o.returned(c, o.control.HandleControl(c, f))
}

func (o *observed) HandleInfo(c *sock.Conn, info any) sock.Result {
	if o.info == nil {
		if o.calls {
			o.record(c, Event{Kind: Called, Detail: Note(fmt.Sprintf("HandleInfo %v: not implemented, dropped", info))})
		}
		return sock.Continue()
	}
	if o.calls {
		o.record(c, Event{Kind: Called, Detail: Note("HandleInfo " + fmt.Sprint(info))})
	}
	return o.returned(c, o.info.HandleInfo(c, info))
}

func (o *observed) Terminate(c *sock.Conn, r sock.Reason) {
	o.record(c, Event{Kind: Terminated, Detail: r})
	if o.term != nil {
		o.term.Terminate(c, r)
	}
}
