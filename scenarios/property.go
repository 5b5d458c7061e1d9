package scenarios

import (
	"fmt"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sockt"
)

// Property is a rule of the handler's own that [Check] checks on every
// connection it opens, after every step: the connection's events are told
// to it as they happen (see [sim.Event]) — what the client sent, each
// callback and what it returned, each frame the server wrote, Terminate. A
// property may keep a model, the state the connection should be in, and
// update it event by event.
//
// [Answers] and [NoPushAfter] make the common ones; any other is a
// function:
//
//	count := scenarios.Property{Name: "counts messages", New: func() func(sim.Event) error {
//		n := 0
//		return func(e sim.Event) error {
//			switch {
//			case e.Kind == sim.Called && e.Detail.String() == "HandleIn":
//				n++
//			case e.Kind == sim.ServerWrote && e.Frame.Op == sock.OpText && string(e.Frame.Payload) != strconv.Itoa(n):
//				return fmt.Errorf("pushed %q after %d messages", e.Frame.Payload, n)
//			}
//			return nil
//		}
//	}}
type Property struct {
	// Name names the property in failures.
	Name string
	// New returns a fresh checker for one connection: a function told the
	// connection's events in order, which returns an error when what
	// happened breaks the property.
	New func() func(sim.Event) error
}

// Answers is the property that each message HandleIn receives is answered
// by the frames answer returns for it — none, one or several — in order and
// before anything else is pushed, and that no message is left unanswered
// when the connection ends. It suits a handler whose every push is an
// answer; for an echo:
//
//	scenarios.Answers(func(m sock.Frame) []sock.Frame { return []sock.Frame{m} })
func Answers(answer func(msg sock.Frame) []sock.Frame) Property {
	return Property{Name: "every message answered once, in order", New: func() func(sim.Event) error {
		type due struct{ answer, to sock.Frame }
		var queue []due
		return func(e sim.Event) error {
			switch {
			case e.Kind == sim.Called && e.Detail.String() == "HandleIn":
				for _, a := range answer(e.Frame) {
					queue = append(queue, due{a, e.Frame})
				}
			case e.Kind == sim.ServerWrote && e.Frame.Op.IsData():
				if len(queue) == 0 {
					return fmt.Errorf("pushed %v, which answers no message", e.Frame)
				}
				d := queue[0]
				queue = queue[1:]
				if !sockt.Equal(d.answer).Match(e.Frame) {
					return fmt.Errorf("pushed %v where %v was due, in answer to %v", e.Frame, d.answer, d.to)
				}
			case e.Kind == sim.TransportClosed && len(queue) > 0:
				// Not at Terminate: a Result that pushes and closes has its
				// frames written after Terminate ran.
				return fmt.Errorf("%v was never answered (%v was due)", queue[0].to, queue[0].answer)
			}
			return nil
		}
	}}
}

// NoPushAfter is the property that once the client has sent a message m
// matches — "leave", "unsubscribe" — and HandleIn has answered it, the
// server pushes nothing more on that connection (pongs and the close frame
// aside).
func NoPushAfter(m sockt.Matcher) Property {
	return Property{Name: "nothing pushed after " + m.String(), New: func() func(sim.Event) error {
		const (
			before    = iota
			handling  // HandleIn has the message
			answering // its Result's frames are being written
			silent
		)
		state := before
		var sent sock.Frame
		return func(e sim.Event) error {
			switch {
			case state == before && e.Kind == sim.Called && e.Detail.String() == "HandleIn" && m.Match(e.Frame):
				state, sent = handling, e.Frame
			case state == handling && e.Kind == sim.Returned:
				state = answering
			case state == answering && e.Kind != sim.ServerWrote && e.Kind != sim.Terminated:
				// A Result that pushes and closes has its frames written
				// after Terminate ran.
				state = silent
			case state == silent && e.Kind == sim.ServerWrote && e.Frame.Op.IsData():
				return fmt.Errorf("pushed %v after the client sent %v", e.Frame, sent)
			}
			return nil
		}
	}}
}
