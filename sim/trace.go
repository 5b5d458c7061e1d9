package sim

import (
	"fmt"
	"strings"
	"time"
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
	Text string // what happened, e.g. `text "hi"` or `HandleIn text "hi"`
}

// String formats the event as one trace line: `1.5s c2 server text "hi"`.
func (e Event) String() string {
	who := "*"
	if e.Conn > 0 {
		who = fmt.Sprintf("c%d", e.Conn)
	}
	return fmt.Sprintf("%s %s %s %s", e.At, who, e.Kind, e.Text)
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
