package sock

import (
	"fmt"
	"strconv"
)

// ReasonKind says why a connection ended.
type ReasonKind uint8

// The ways a connection ends.
const (
	// ReasonNormal: the handler stopped or closed with a code of its own.
	ReasonNormal ReasonKind = iota + 1
	// ReasonRemote: the peer sent a close frame.
	ReasonRemote
	// ReasonShutdown: the server is going away; 1001 was sent.
	ReasonShutdown
	// ReasonTimeout: the peer was idle for [Options].IdleTimeout, or did not
	// answer a keepalive ping within [Options].PongTimeout.
	ReasonTimeout
	// ReasonError: a handler error or panic, a protocol violation by the peer,
	// invalid UTF-8, an oversize message, an I/O error or a write timeout.
	ReasonError
)

// String returns the kind's lower-case name.
func (k ReasonKind) String() string {
	switch k {
	case ReasonNormal:
		return "normal"
	case ReasonRemote:
		return "remote"
	case ReasonShutdown:
		return "shutdown"
	case ReasonTimeout:
		return "timeout"
	case ReasonError:
		return "error"
	}
	return "reason(" + strconv.Itoa(int(k)) + ")"
}

// Reason is why a connection ended, as Terminate receives it.
type Reason struct {
	Kind ReasonKind
	// Code is the close code: the one the peer sent for ReasonRemote
	// (CloseNoStatus when its close frame had none), otherwise the one the
	// server sent, or CloseAbnormal when no close frame could be sent.
	Code CloseCode
	// Text is the close frame's reason text, as received or sent.
	Text string
	// Err is the cause: for ReasonRemote a [*CloseError]; for ReasonError the
	// handler's error, a [*PanicError], or an error wrapping [ErrProtocol],
	// [ErrInvalidUTF8], [ErrMessageTooBig], [ErrBadResult], [ErrWriteTimeout],
	// [ErrConnectionLost] or the transport's own error. Nil otherwise.
	Err error
}

// String formats the reason for logs and traces, e.g. `remote 1000 "bye"` or
// `error 1011: sock: handler panic: boom`.
func (r Reason) String() string {
	s := r.Kind.String() + " " + strconv.Itoa(int(r.Code))
	if r.Text != "" {
		s += " " + strconv.Quote(r.Text)
	}
	if r.Err != nil && r.Kind != ReasonRemote {
		s += fmt.Sprintf(": %v", r.Err)
	}
	return s
}
