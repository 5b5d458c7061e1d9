package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sockkit/sockkit/sock"
)

// Kind classifies a trace [Event].
type Kind uint8

// The kinds of trace events.
const (
	ClientSent  Kind = iota + 1 // the peer sent a frame
	ClientFault                 // the peer misbehaved: protocol violation, dropped connection, stopped reading...
	ServerWrote                 // the server wrote a frame
	Called                      // a handler callback was called
	Returned                    // a handler callback returned a Result
	Terminated                  // Terminate was called
	Info                        // a message was queued for HandleInfo by the test or a server action
	Clock                       // virtual time advanced
	Closed                      // the transport was closed
)

var kindNames = [...]string{
	ClientSent:  "client",
	ClientFault: "fault",
	ServerWrote: "server",
	Called:      "call",
	Returned:    "return",
	Terminated:  "terminate",
	Info:        "info",
	Clock:       "clock",
	Closed:      "closed",
}

// String returns the kind's name as it appears in a trace line.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Event is one step of a simulation.
type Event struct {
	At   time.Duration // virtual time since the world started
	Conn int           // the connection's number, from 1; 0 for world-wide events
	Kind Kind
	// Detail is what happened: the sock.Frame sent or written, the [Call]
	// made, the sock.Result returned, the sock.Reason Terminate received, or
	// a [Note]. It is formatted only when the event is, so recording stays
	// cheap.
	Detail fmt.Stringer
}

// String formats the event as one trace line: `1.5s c2 server text "hi"`.
func (e Event) String() string {
	var b strings.Builder
	b.WriteString(e.At.String())
	if e.Conn > 0 {
		b.WriteString(" c")
		b.WriteString(strconv.Itoa(e.Conn))
	} else {
		b.WriteString(" *")
	}
	b.WriteByte(' ')
	b.WriteString(e.Kind.String())
	if e.Detail != nil {
		b.WriteByte(' ')
		b.WriteString(e.Detail.String())
	}
	return b.String()
}

// Note is the Detail of an event told in words, such as a fault.
type Note string

// String returns the note.
func (n Note) String() string { return string(n) }

// Call is the Detail of a [Called] event.
type Call struct {
	Name  string     // the callback: Init, HandleIn, HandleControl or HandleInfo
	Frame sock.Frame // for HandleIn and HandleControl, a copy of the frame it received
	Info  string     // for HandleInfo, the info as fmt.Sprint formats it
}

// String formats the call as `HandleIn text "hi"`.
func (c Call) String() string {
	switch {
	case c.Frame.Op != 0 || c.Frame.Payload != nil:
		return c.Name + " " + c.Frame.String()
	case c.Info != "":
		return c.Name + " " + c.Info
	}
	return c.Name
}

// Trace is the ordered record of a simulation.
type Trace []Event

// String returns the trace one event a line, each ending in a newline: the
// stable text form golden files compare.
func (t Trace) String() string {
	var b strings.Builder
	for _, e := range t {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Lines returns the trace one event a string, for diffs.
func (t Trace) Lines() []string {
	lines := make([]string, len(t))
	for i, e := range t {
		lines[i] = e.String()
	}
	return lines
}
