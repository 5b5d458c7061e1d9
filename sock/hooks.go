package sock

import "time"

// Hooks are told what connections do, for metrics and tracing: set them in
// [Options].Hooks. Nil fields are skipped, and a nil *Hooks costs nothing.
// They are called on the connection's goroutines (InfoDropped on the
// sender's), one at a time for a connection but concurrently across
// connections: they must be safe for concurrent use, must not block, and
// must not panic. Unlike a handler's callbacks, they are not recovered
// where they run (a recover on the hot path cost every idle connection
// 4 KiB of stack, measured), but [Serve] recovers what reaches the top of
// the connection's goroutines: a hook that panics ends its connection,
// not the program. The panic is logged at Error with its stack; Terminate
// receives it as a [*PanicError] with code 1006, unless Init has not run
// or the connection was ending already; nothing more runs on the Session,
// no close frame is sent for it, the transport is closed, and Serve
// returns it. InfoDropped's panic is its sender's.
type Hooks struct {
	// Opened is called as the connection opens, before Init.
	Opened func(c *Conn)
	// Received is called for each message and control frame the peer
	// sends, with its payload's size: whole messages, once reassembled.
	Received func(c *Conn, op Opcode, size int)
	// Sent is called for each frame the connection hands its driver to
	// write, with its payload's size: when a write fails, the frames
	// queued behind it were counted, though never written.
	Sent func(c *Conn, op Opcode, size int)
	// RoundTrip is called with the time between a keepalive ping
	// ([Options].PingInterval) and the pong that answered it; see also
	// [Conn.RTT].
	RoundTrip func(c *Conn, rtt time.Duration)
	// InfoDropped is called when [Conn.SendInfo] refuses an info because
	// the connection's queue is full ([ErrInfoQueueFull]).
	InfoDropped func(c *Conn)
	// Bug is called when a callback panicked (a [*PanicError]) or returned
	// a Result sock refused ([ErrBadResult]): the connection closes with
	// 1011 and goes on as if nothing else happened.
	Bug func(c *Conn, err error)
	// Terminated is called once Terminate has run, with the connection's
	// [Session.Reason] and how long it lived, on the session's clock. A
	// write that timed out while the connection was open ends it with an
	// Err that is [ErrWriteTimeout]; one that times out later, during the
	// closing handshake, changes nothing: Terminate has run.
	Terminated func(c *Conn, r Reason, lived time.Duration)
}

// RTT returns the round trip of the last keepalive ping answered, or 0
// before any (or without [Options].PingInterval). It may be called from any
// goroutine. The first pong after a keepalive ping is taken for its answer:
// a peer that sends pongs unasked (RFC 6455 lets it) makes it shorter.
func (c *Conn) RTT() time.Duration { return time.Duration(c.session.rtt.Load()) }

// roundTrip notes a pong that answered the keepalive ping sent at sent.
func (s *Session) roundTrip(sent time.Time) {
	rtt := s.now.Sub(sent)
	s.rtt.Store(int64(rtt))
	if h := s.opts.Hooks; h != nil && h.RoundTrip != nil {
		h.RoundTrip(&s.conn, rtt)
	}
}

// bug tells the hooks of a handler bug.
func (s *Session) bug(err error) {
	if h := s.opts.Hooks; h != nil && h.Bug != nil {
		h.Bug(&s.conn, err)
	}
}
