package sock

// Handler is the behaviour of one connection. A factory makes one Handler
// value per connection; its methods run on one goroutine at a time, so the
// value may keep the connection's state in plain fields without locks.
//
// Only HandleIn is required. A handler may also implement [InitHandler],
// [ControlHandler], [InfoHandler] and [TerminateHandler]; a Session checks
// for them once, when it is made.
type Handler interface {
	// HandleIn receives one whole text or binary message, fragments already
	// joined. Text is valid UTF-8 and no message exceeds
	// [Options].MaxMessageSize. msg.Payload is valid until HandleIn
	// returns: copy it to keep it (see [Frame]).
	HandleIn(c *Conn, msg Frame) Result
}

// InitHandler is implemented by handlers that act when the connection opens:
// Init runs after the handshake and before the first message is read, and
// may push frames or close at once. Without it, the connection just opens.
type InitHandler interface {
	Init(c *Conn) Result
}

// ControlHandler is implemented by handlers that watch pings and pongs.
// HandleControl runs after the automatic pong to a ping was queued; as
// with HandleIn, f.Payload is valid until it returns. Without it, control
// frames need no handling.
type ControlHandler interface {
	HandleControl(c *Conn, f Frame) Result
}

// InfoHandler is implemented by handlers that receive messages from other
// goroutines ([Conn.SendInfo]) and timers ([Conn.After]). Without it, such
// messages are logged at debug level and dropped.
type InfoHandler interface {
	HandleInfo(c *Conn, info any) Result
}

// TerminateHandler is implemented by handlers that clean up. Terminate runs
// exactly once, after every other callback, with the reason the connection
// ended. It cannot send anything: the close frame, if any, is already queued.
type TerminateHandler interface {
	Terminate(c *Conn, r Reason)
}

// HandlerFunc adapts a function to a [Handler] with no other callbacks.
type HandlerFunc func(c *Conn, msg Frame) Result

// HandleIn calls f(c, msg).
func (f HandlerFunc) HandleIn(c *Conn, msg Frame) Result { return f(c, msg) }
