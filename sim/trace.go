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
	ClientSent      Kind = iota + 1 // the peer sent a frame
	ClientFault                     // the peer misbehaved: protocol violation, dropped connection, stopped reading...
	ServerWrote                     // the server wrote a frame
	Called                          // a handler callback was called
	Returned                        // a handler callback returned a Result
	Terminated                      // Terminate ran (recorded once it returned)
	InfoSent                        // an info was sent to the handler from outside ([Conn.SendInfo])
	ShutdownBegan                   // the server began to shut the connection down
	Clock                           // virtual time advanced
	TransportClosed                 // the transport was closed
	Bug                             // a handler bug sock survived: a panic, a Result it refused, a loop, a kept payload
)

var kindNames = [...]string{
	ClientSent:      "client",
	ClientFault:     "fault",
	ServerWrote:     "server",
	Called:          "call",
	Returned:        "return",
	Terminated:      "terminate",
	InfoSent:        "info",
	ShutdownBegan:   "shutdown",
	Clock:           "clock",
	TransportClosed: "closed",
	Bug:             "bug",
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
	Conn uint64        // the connection's ID, from 1; 0 for world-wide events
	Kind Kind
	// Frame is the frame the event is about: sent by the client, written by
	// the server, or handed to HandleIn or HandleControl. Its payload is the
	// trace's own copy: a handler that changes the frame it was handed, or
	// reuses a buffer it pushed, does not change the trace.
	Frame sock.Frame
	// Detail is the rest, if any: the callback's name for [Called], the
	// sock.Result for [Returned], the sock.Reason for [Terminated], or a
	// [Note]. Like Frame, it is formatted only when the event is, so that
	// recording stays cheap.
	Detail fmt.Stringer
}

// String formats the event as one trace line: `1.5s c2 server text "hi"`.
func (e Event) String() string {
	var b strings.Builder
	b.WriteString(e.At.String())
	if e.Conn > 0 {
		b.WriteString(" c")
		b.WriteString(strconv.FormatUint(e.Conn, 10))
	} else {
		b.WriteString(" *")
	}
	b.WriteByte(' ')
	b.WriteString(e.Kind.String())
	b.WriteByte(' ')
	b.WriteString(e.Text())
	return b.String()
}

// Text formats what happened: the event's line without time, connection and
// kind, e.g. `HandleIn text "hi"`.
func (e Event) Text() string {
	switch {
	case e.Detail == nil:
		return e.Frame.String()
	case e.Frame.Op != 0:
		return e.Detail.String() + " " + e.Frame.String()
	}
	return e.Detail.String()
}

// Note is the Detail of an event told in words.
type Note string

// String returns the note.
func (n Note) String() string { return string(n) }

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
