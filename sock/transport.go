package sock

import "time"

// Transport is what [Serve] needs of a WebSocket connection. Implementing
// it hosts sock handlers on any WebSocket library; to serve them through
// sockhttp's Server (negotiation, limits, drain, hooks), a sockhttp.Host
// returns one from its Upgrade. Two hosts are there to read: sockhttp's own,
// on gorilla/websocket (sock/sockhttp/transport.go), and package sockgws,
// on lxzan/gws. What follows is what both do.
//
// # One owner for every rule
//
// The Session above a Transport owns every rule of RFC 6455 that calls for
// a decision: it answers pings, runs the closing handshake and picks its
// codes, checks UTF-8 and sizes, and keeps the timeouts. A library that
// applies one of them itself must be kept from it, or a client sees two
// answers, or none the Session chose:
//   - no automatic pongs or close replies: gorilla takes handlers that only
//     emit; gws has no such option, so sockgws lets gws parse frames only,
//     through a net.Conn that swallows what gws writes, and writes every
//     frame itself;
//   - no close frames of the library's own on errors: report the error,
//     and the Session sends the close frame (gorilla sends 1002 and 1009
//     before returning an error; sockhttp maps those errors and writes
//     nothing after gorilla's close frame);
//   - no UTF-8 check, no compression the Session cannot see through, no
//     goroutines of the library's own calling back: ReadFrames runs on
//     Serve's goroutine and emits from it, in order.
//
// # Reading
//
// ReadFrames calls emit with, in the order they arrive:
//   - every whole text or binary message, fragments joined. Its payload
//     is lent: ReadFrames may reuse the buffer once emit has returned, and
//     Serve writes every frame that depends on it (an echo) before that.
//     Both hosts do: sockhttp reads into buffers pooled by size, sockgws
//     gives gws its buffer back.
//   - every ping, pong and close frame as soon as it is read, also between
//     the fragments of a message;
//   - a Frame{Op: OpContinuation} with no payload each time part of a
//     message arrives while more is to come (sockhttp emits one after every
//     read that returned data): bytes arriving are activity for
//     [Options].IdleTimeout, and a slow upload must not look idle.
//
// It returns nil after emitting a close frame, and otherwise the error that
// stopped it: wrapping [ErrProtocol] when the peer broke the protocol (the
// Session closes with 1002), [ErrMessageTooBig] past the limit (1009),
// [ErrInvalidUTF8] (1007), [ErrBusy] when the server has no memory for it
// (1013); any other error is a lost connection (1006). emit may block.
//
// What was read before a failure comes first: the frames that arrived in
// the same read as a frame refused are emitted before the refusal, and so
// are the bytes a read returns together with an error (crypto/tls returns
// a client's last frame with io.EOF when its close_notify came along). A
// peer's close frame read before a failure is what ended the connection.
//
// A host refuses what it cannot hold before it allocates it: a library
// that allocates a frame's declared length as its header arrives (gws
// does) needs the header checked first, which sockgws does by following
// the frame headers in what it reads, ahead of gws; declared lengths are
// summed without wrapping around. Under sockhttp, the limits come in
// sockhttp.Limits: the largest message, and the server's memory budget,
// from which a transport takes what it holds of a message past
// sockhttp.FreeBytes until the message is whole, and gives all of it back
// on every way out, a failure included.
//
// Nothing a peer sends may make ReadFrames panic: Serve recovers it, but
// ends the connection without a close frame and logs the panic with its
// stack at Error, a log a hostile client could fill. ReadFrames calls emit
// on its own goroutine, Serve's, and lets a panic out of emit (a hook's)
// go up: Serve ends the connection for it. A transport that recovers one
// has its connection ended at the next emit.
//
// # Writing and closing
//
// Serve calls ReadFrames on one goroutine and WriteFrame and Close on any,
// one at a time, possibly from within emit. A server may also call Close
// at any time and more than once (sockhttp does when Shutdown gives up):
// it must be safe for that, as net.Conn's Close is. WriteFrame writes one whole
// frame, unmasked, and nothing after a close frame; it is done with the
// payload when it returns, which may be lent (an echo): a library that
// queues writes must copy it first. Serve gives the same deadline to the
// writes of a sixteenth of WriteTimeout: a transport that sets its
// socket's deadline only when it changes (sockgws) spares a runtime timer
// moved at every write.
//
// # Testing a host
//
// A Server with the host in its Options.Host runs the same tests as any:
// scenarios.Conformance for the protocol, the rules above among them, and
// scenarios.Differential, which replays scenarios against the simulator
// and the host over loopback and compares what every client saw. sockhttp
// runs its whole loopback suite, which is internal, on both of its hosts.
type Transport interface {
	// ReadFrames reads until the connection fails or a close frame
	// arrives, calling emit for every frame read as the type's doc says,
	// and returns nil after a close frame or the error that stopped it.
	ReadFrames(emit func(Frame)) error

	// WriteFrame writes one frame, giving up at deadline. It must not write
	// anything after a close frame; writing a second close frame may be
	// silently skipped.
	WriteFrame(f Frame, deadline time.Time) error

	// Close closes the underlying connection; a blocked ReadFrames returns.
	Close() error
}
