package sock

import (
	"errors"
	"fmt"
)

// Errors a Session reports in [Reason].Err or returns from [Conn.SendInfo]. Test
// for them with errors.Is.
var (
	// ErrClosed is returned by [Conn.SendInfo] once the connection has terminated.
	ErrClosed = errors.New("sock: connection closed")
	// ErrInfoQueueFull is returned by [Conn.SendInfo] when the connection's
	// queue holds [Options].InfoQueueSize undelivered infos. The info is dropped;
	// the sender decides whether to retry, drop or disconnect the receiver.
	ErrInfoQueueFull = errors.New("sock: info queue full")
	// ErrProtocol is a violation of RFC 6455 by the peer; the connection closes
	// with 1002.
	ErrProtocol = errors.New("sock: protocol violation")
	// ErrInvalidUTF8 is a text message that is not valid UTF-8; the connection
	// closes with 1007.
	ErrInvalidUTF8 = errors.New("sock: text message is not valid UTF-8")
	// ErrMessageTooBig is a message over [Options].MaxMessageSize; the
	// connection closes with 1009.
	ErrMessageTooBig = errors.New("sock: message too big")
	// ErrBadResult is a Result a handler may not return: text that is not
	// UTF-8, a close code or text that cannot be sent (from Close or from a
	// CloseError given to StopWith), or a frame that cannot be pushed. The
	// connection closes with 1011 and none of that Result's frames are
	// written.
	ErrBadResult = errors.New("sock: invalid handler result")
	// ErrWriteTimeout is a write that did not finish within
	// [Options].WriteTimeout, typically a peer that stopped reading.
	ErrWriteTimeout = errors.New("sock: write timeout")
	// ErrConnectionLost is a transport that ended without a closing handshake.
	ErrConnectionLost = errors.New("sock: connection lost")
	// ErrBusy is a message the server had no room for: a transport's
	// memory budget for messages still arriving was spent. The connection
	// closes with 1013 try again later.
	ErrBusy = errors.New("sock: no room for the message now")
	// ErrRestart, as the cause of the context given to [Serve] (see
	// context.WithCancelCause), makes its shutdown close with 1012 service
	// restart rather than 1001 going away: the server is coming back, and
	// clients should reconnect.
	ErrRestart = errors.New("sock: service restart")
)

// PanicError is a panic recovered from a handler callback: the connection
// closes with 1011 and Terminate receives it in [Reason].Err. [Serve] also
// recovers one from a hook or the transport, and ends the connection
// without a close frame of its own (see [Hooks]).
type PanicError struct {
	// Value is the value passed to panic; from Serve, an error of its own
	// when a goroutine ended by runtime.Goexit, or when the transport
	// recovered the panic itself.
	Value any
	Stack []byte // the goroutine's stack where it panicked
}

// Error returns "sock: handler panic: VALUE".
func (e *PanicError) Error() string { return fmt.Sprintf("sock: handler panic: %v", e.Value) }

// Unwrap returns the panic value if it is an error, so errors.Is and
// errors.As see through the panic.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
