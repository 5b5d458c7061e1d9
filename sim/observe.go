package sim

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/sockkit/sockkit/sock"
)

// Observe wraps h so that record hears of every callback call (an [Event] of
// kind [Called]), every Result returned ([Returned]), every panic ([Bug],
// before the Session recovers it), a Result the Session refused ([Bug], from
// the reason) and the Terminate reason ([Terminated]), with the connection;
// record sets the event's At and Conn. The wrapper implements every optional
// interface and, where h lacks one, does what the Session would do without
// it, so h behaves as it does unwrapped; Init is always recorded, so record
// sees the connection first thing. record runs on the connection's
// goroutine. sim uses Observe for its traces; use it to trace a handler
// served over a real socket in the same format. Infos are rendered as in a
// World's trace, pointers numbered in the order this handler first sees
// them; to keep a long-lived connection's memory bounded, the first 1024
// are numbered (and kept alive, so that no other value takes their
// address), later ones show "#?".
func Observe(h sock.Handler, record func(c *sock.Conn, e Event)) sock.Handler {
	return observe(h, record, true, bytes.Clone, (&names{limit: observeNames}).render)
}

// observeNames is how many values Observe numbers.
const observeNames = 1024

// observe wraps h like Observe, keeping frames with keep and rendering infos
// with render; without calls, record hears only of bugs and Terminate.
func observe(h sock.Handler, record func(c *sock.Conn, e Event), calls bool, keep func([]byte) []byte, render func(any) string) *observed {
	o := &observed{inner: h, record: record, calls: calls, keep: keep, render: render}
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
	calls   bool                // record calls and results, not only bugs and Terminate
	keep    func([]byte) []byte // copies a payload for the trace
	render  func(any) string    // renders an info for the trace
}

// called records a call, with a copy of the frame it handles: the handler
// may change the payload it was lent, and it is overwritten once the
// callback has returned, which must not change the trace.
func (o *observed) called(c *sock.Conn, callback string, f sock.Frame) {
	if o.calls {
		o.record(c, Event{Kind: Called, Detail: Note(callback), Frame: sock.Frame{Op: f.Op, Payload: o.keep(f.Payload)}})
	}
}

// returned records r, with copies of the payloads it pushes: one may be
// the payload the callback was lent, reused once r is written.
func (o *observed) returned(c *sock.Conn, r sock.Result) sock.Result {
	if o.calls {
		o.record(c, Event{Kind: Returned, Detail: r.Clone(o.keep)})
	}
	return r
}

// panicked, deferred by each callback, records a panic as a bug and lets it
// go on to the Session, which recovers it.
func (o *observed) panicked(c *sock.Conn, callback string) {
	if v := recover(); v != nil {
		o.record(c, Event{Kind: Bug, Detail: Note(fmt.Sprintf("%s panicked: %v", callback, v))})
		panic(v)
	}
}

func (o *observed) Init(c *sock.Conn) sock.Result {
	o.called(c, "Init", sock.Frame{})
	if o.init == nil {
		return o.returned(c, sock.Continue())
	}
	defer o.panicked(c, "Init")
	return o.returned(c, o.init.Init(c))
}

func (o *observed) HandleIn(c *sock.Conn, msg sock.Frame) sock.Result {
	o.called(c, "HandleIn", msg)
	defer o.panicked(c, "HandleIn")
	return o.returned(c, o.inner.HandleIn(c, msg))
}

func (o *observed) HandleControl(c *sock.Conn, f sock.Frame) sock.Result {
	if o.control == nil {
		return sock.Continue()
	}
	o.called(c, "HandleControl", f)
	defer o.panicked(c, "HandleControl")
	return o.returned(c, o.control.HandleControl(c, f))
}

func (o *observed) HandleInfo(c *sock.Conn, info any) sock.Result {
	if o.info == nil {
		if o.calls {
			o.record(c, Event{Kind: Called, Detail: Note("HandleInfo " + o.render(info) + ": not implemented, dropped")})
		}
		return sock.Continue()
	}
	if o.calls {
		o.record(c, Event{Kind: Called, Detail: Note("HandleInfo " + o.render(info))})
	}
	defer o.panicked(c, "HandleInfo")
	return o.returned(c, o.info.HandleInfo(c, info))
}

// Terminate records the reason once Terminate has returned or panicked, so
// that whoever waits for it knows Terminate is over; a panic in it is
// recorded before, as is the bug the reason reveals if it is a Result the
// Session refused (a callback's panic was recorded when it happened).
func (o *observed) Terminate(c *sock.Conn, r sock.Reason) {
	if errors.Is(r.Err, sock.ErrBadResult) {
		o.record(c, Event{Kind: Bug, Detail: Note("refused Result: " + r.Err.Error())})
	}
	defer o.record(c, Event{Kind: Terminated, Detail: r})
	if o.term != nil {
		defer o.panicked(c, "Terminate")
		o.term.Terminate(c, r)
	}
}
