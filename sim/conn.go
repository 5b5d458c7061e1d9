package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/sockkit/sockkit/sock"
)

// DefaultBufferSize is how many bytes of server writes a peer that stopped
// reading absorbs before the server's writes block, standing in for socket
// buffers.
const DefaultBufferSize = 64 << 10

// Conn is one simulated connection: the server side runs the real
// [sock.Session] around the handler, the client side is a peer the test
// scripts. Peer methods act at the world's current time and settle the world
// before they return. Like a client library, the peer answers the server's
// pings and close frame by itself unless told not to.
type Conn struct {
	world      *World
	id         uint64
	session    *sock.Session
	maxMessage int64 // the Session's MaxMessageSize

	// The peer.
	reading     bool            // it reads what the server writes
	ignoreClose bool            // it never answers the server's close frame
	ignorePings bool            // it never answers the server's pings
	toPong      [][]byte        // payloads of server pings it has read and not answered
	toAnswer    *sock.CloseCode // the code of a server close frame it has read
	closeSent   bool            // it has sent a close frame
	answering   bool            // answer is running
	message     *message        // a fragmented message it is sending, if any
	bufferSize  int
	received    []sock.Frame // read by the peer; those from head on are not yet taken by the test
	head        int
	unread      []sock.Frame // written by the server while the peer was not reading
	unreadBytes int

	// The server's write side.
	stalled      []sock.Frame // frames the server's loop is stuck writing
	blockedSince time.Time
	waiting      []func()  // peer frames the stuck loop has not read yet
	closed       bool      // the transport is closed
	dueAt        time.Time // its deadline, as the world's heap of due connections has it
	dueIndex     int       // its place in that heap, -1 if it is not there

	terminations int
	reason       sock.Reason // what Terminate received
	bugs         []string    // handler bugs sock survived, as the trace tells them
	settling     uint64      // the world's settling in which turns were counted
	turns        int         // ticks and deliveries in that settling, to tell a loop
	stoppedAt    time.Time   // when a loop stopped it; it runs again once the clock moves
	looped       bool        // a loop was reported
	keptPayload  bool        // a kept payload was reported
}

// message is a fragmented message the peer is sending.
type message struct {
	op        sock.Opcode
	payload   []byte
	fragments int
}

// ID returns the connection's number in its world, from 1: also its
// [sock.Conn.ID].
func (c *Conn) ID() uint64 { return c.id }

// Session returns the connection's Session.
func (c *Conn) Session() *sock.Session { return c.session }

// Closed reports whether the transport has been closed.
func (c *Conn) Closed() bool { return c.closed }

// Terminations returns how many times Terminate has run: 0 or 1 in a correct
// Session.
func (c *Conn) Terminations() int { return c.terminations }

// Bugs returns the handler bugs sock survived on the connection — a callback
// that panicked, a Result sock refused, a loop, a kept payload — as the trace's [Bug] events
// tell them, traced or not.
func (c *Conn) Bugs() []string { return slices.Clone(c.bugs) }

// Reason returns the reason Terminate received, or the zero Reason. If
// Terminate panicked, the Session's Reason tells so.
func (c *Conn) Reason() sock.Reason { return c.reason }

// Received returns the frames the peer has read and the test has not yet
// taken with [Conn.Read].
func (c *Conn) Received() []sock.Frame { return slices.Clone(c.received[c.head:]) }

// Read takes the oldest frame the peer has read, reporting false if there is
// none.
func (c *Conn) Read() (sock.Frame, bool) {
	if c.head == len(c.received) {
		return sock.Frame{}, false
	}
	f := c.received[c.head]
	c.received[c.head] = sock.Frame{}
	c.head++
	if c.head == len(c.received) { // all taken: reuse the slice from its start
		c.received, c.head = c.received[:0], 0
	}
	return f, true
}

// SendText sends a text message. s need not be valid UTF-8: invalid text is
// how a test provokes close 1007.
func (c *Conn) SendText(s string) { c.SendFrame(sock.Frame{Op: sock.OpText, Payload: []byte(s)}) }

// SendBinary sends a binary message.
func (c *Conn) SendBinary(b []byte) { c.SendFrame(sock.Binary(b)) }

// Ping sends a ping with payload p.
func (c *Conn) Ping(p []byte) { c.SendFrame(sock.Frame{Op: sock.OpPing, Payload: p}) }

// Pong sends an unsolicited pong with payload p.
func (c *Conn) Pong(p []byte) { c.SendFrame(sock.Frame{Op: sock.OpPong, Payload: p}) }

// Close sends a close frame with code and text, valid or not:
// sock.CloseNoStatus sends an empty close frame.
func (c *Conn) Close(code sock.CloseCode, text string) { c.SendFrame(sock.CloseFrame(code, text)) }

// SendFrame sends f exactly as given, as a transport would hand it to the
// Session: any opcode, any payload. A text or binary frame sent while a
// fragmented message is unfinished breaks the protocol, as on the wire.
func (c *Conn) SendFrame(f sock.Frame) {
	if c.busy() {
		c.later(func() { c.SendFrame(f) })
		return
	}
	if f.Op.IsData() && c.message != nil {
		c.Violate("a new message inside a fragmented one")
		return
	}
	c.recordFrame(ClientSent, f)
	c.deliver(f)
	c.world.Settle()
}

// SendFragment sends one fragment of a message: the first with op
// sock.OpText or sock.OpBinary, the next ones with sock.OpContinuation; fin
// marks the last. Like a real transport, the Session learns of every
// fragment before the last as activity (the idle timeout counts it), and
// gets the message whole with the last. Between fragments the peer may send
// control frames and time may pass; another message, a continuation without
// a message, or a fragmented control frame breaks the protocol.
func (c *Conn) SendFragment(op sock.Opcode, p []byte, fin bool) {
	if c.busy() {
		c.later(func() { c.SendFragment(op, p, fin) })
		return
	}
	m := c.message
	switch {
	case m == nil && op.IsData():
		m = &message{op: op}
		c.message = m
	case m == nil:
		c.Violate(fmt.Sprintf("a %v fragment without a message to continue", op))
		return
	case op != sock.OpContinuation:
		c.Violate(fmt.Sprintf("a %v fragment inside a fragmented message", op))
		return
	}
	m.fragments++
	final := ""
	if fin {
		final = ", final"
	}
	c.record(ClientSent, Note(fmt.Sprintf("fragment %d of %v%s", m.fragments, sock.Frame{Op: m.op, Payload: p}, final)))
	m.payload = append(m.payload, p...)
	if limit := c.maxMessage; int64(len(m.payload)) > limit {
		// A transport stops reading at the limit, as gorilla does at the
		// frame that passes it.
		c.message = nil
		c.session.Fail(c.world.now, fmt.Errorf("%w: more than %d bytes in fragments", sock.ErrMessageTooBig, limit))
		c.flush()
		c.world.Settle()
		return
	}
	if fin {
		c.message = nil
		c.deliver(sock.Frame{Op: m.op, Payload: m.payload})
	} else {
		c.deliver(sock.Frame{Op: sock.OpContinuation})
	}
	c.world.Settle()
}

// SendFragmented sends one message of type op in fragments with
// [Conn.SendFragment], and the control frames between after the first
// fragment.
func (c *Conn) SendFragmented(op sock.Opcode, fragments [][]byte, between ...sock.Frame) {
	if len(fragments) == 0 {
		fragments = [][]byte{nil}
	}
	for i, p := range fragments {
		if i > 0 {
			op = sock.OpContinuation
		}
		c.SendFragment(op, p, i == len(fragments)-1)
		if i == 0 {
			for _, f := range between {
				c.SendFrame(f)
			}
		}
	}
}

// Violate makes the peer break RFC 6455 (a reserved opcode, RSV bits, an
// unmasked frame...) as a transport reports it: the Session fails with
// [sock.ErrProtocol].
func (c *Conn) Violate(what string) {
	if c.busy() {
		c.later(func() { c.Violate(what) })
		return
	}
	c.message = nil
	c.record(ClientFault, Note("protocol violation: "+what))
	c.session.Fail(c.world.now, fmt.Errorf("%w: %s", sock.ErrProtocol, what))
	c.flush()
	c.world.Settle()
}

// Drop cuts the connection without a close frame. A server loop stuck in a
// write sees the write fail.
func (c *Conn) Drop() {
	if c.closed {
		c.record(ClientFault, Note("drop: already closed"))
		return
	}
	c.record(ClientFault, Note("drop connection"))
	c.stalled, c.waiting = nil, nil
	c.session.Fail(c.world.now, sock.ErrConnectionLost)
	c.flush()
	c.world.Settle()
}

// StopReading makes the peer stop reading: server writes pile up in the
// buffer (see [Conn.SetBufferSize]) and then block, and the server's
// WriteTimeout fires if the peer does not resume in time.
func (c *Conn) StopReading() {
	c.record(ClientFault, Note("stop reading"))
	c.reading = false
}

// ResumeReading makes the peer read again: it reads what piled up, which
// unblocks the server's writes.
func (c *Conn) ResumeReading() {
	c.record(ClientSent, Note("resume reading"))
	c.reading = true
	unread := c.unread
	c.unread, c.unreadBytes = nil, 0
	for _, f := range unread {
		c.peerRead(f)
	}
	stalled, waiting := c.stalled, c.waiting
	c.stalled, c.waiting = nil, nil
	for _, f := range stalled {
		c.write(f)
	}
	c.closeIfDone()
	c.answer()
	c.world.reschedule(c)
	c.world.Settle() // mail that waited for the write, then what the peer did meanwhile
	for _, act := range waiting {
		act()
	}
}

// SetBufferSize sets how many bytes a peer that stopped reading absorbs
// before server writes block (default [DefaultBufferSize]).
func (c *Conn) SetBufferSize(n int) { c.bufferSize = n }

// IgnoreClose makes the peer never answer the server's close frame, so the
// server's CloseTimeout ends the closing handshake.
func (c *Conn) IgnoreClose() {
	c.record(ClientFault, Note("ignore close frames"))
	c.ignoreClose = true
}

// IgnorePings makes the peer never answer the server's keepalive pings, so
// the server's PongTimeout fires.
func (c *Conn) IgnorePings() {
	c.record(ClientFault, Note("ignore pings"))
	c.ignorePings = true
}

// SendInfo queues info for the handler's HandleInfo, as another goroutine
// would with [sock.Conn.SendInfo], and settles. It returns SendInfo's error.
func (c *Conn) SendInfo(info any) error {
	if !c.world.untraced {
		c.record(InfoSent, Note(c.world.names.render(info)))
	}
	err := c.session.Conn().SendInfo(info)
	if err != nil {
		c.record(InfoSent, Note("refused: "+err.Error()))
	}
	c.world.Settle()
	return err
}

// Shutdown shuts the connection down as a server going away does (close
// 1001) and settles.
func (c *Conn) Shutdown() {
	if c.busy() { // a loop stuck in a write sees the shutdown only after it
		c.later(c.Shutdown)
		return
	}
	c.record(ShutdownBegan, Note("server going away"))
	c.session.Shutdown(c.world.now)
	c.flush()
	c.world.Settle()
}

// record notes what happened in words.
func (c *Conn) record(k Kind, note Note) { c.world.record(c.id, Event{Kind: k, Detail: note}) }

// recordFrame notes a frame sent or written, with a copy of its payload.
func (c *Conn) recordFrame(k Kind, f sock.Frame) {
	if !c.world.untraced {
		c.world.record(c.id, Event{Kind: k, Frame: sock.Frame{Op: f.Op, Payload: c.world.bytes.keep(f.Payload)}})
	}
}

// observe records the handler's callbacks, counts Terminate calls and keeps
// the bugs.
func (c *Conn) observe(_ *sock.Conn, e Event) {
	switch e.Kind {
	case Terminated:
		c.terminations++
		c.reason, _ = e.Detail.(sock.Reason)
	case Bug:
		c.bugs = append(c.bugs, e.Text())
	}
	c.world.record(c.id, e)
}

// busy reports whether a peer action cannot run now: the connection is
// closed, or the server's loop is stuck in a write and reads nothing
// meanwhile. The action then goes to later.
func (c *Conn) busy() bool { return c.closed || c.blocked() }

// later keeps action until the server's loop is unstuck; on a closed
// connection it only notes that the action went nowhere.
func (c *Conn) later(action func()) {
	if c.closed {
		c.record(ClientFault, Note("ignored: connection closed"))
		return
	}
	c.waiting = append(c.waiting, action)
}

// deliver hands a peer frame to the Session, its payload lent (see
// lender): overwritten once what the Session wrote in answer is out.
func (c *Conn) deliver(f sock.Frame) {
	if f.Op == sock.OpClose {
		c.closeSent = true
	}
	if lends(f, c.maxMessage) {
		f.Payload = c.world.lender.lend(f.Payload)
	}
	c.session.Receive(c.world.now, f)
	c.writeOutput()
	c.world.lender.reclaim()
	c.flush()
}

// flush writes what the Session asks for and closes the transport once it is
// done.
func (c *Conn) flush() {
	c.writeOutput()
	c.closeIfDone()
	c.answer()
	c.world.reschedule(c)
}

// writeOutput writes what the Session asks for, reporting a frame that
// pushes a payload lent to an earlier callback.
func (c *Conn) writeOutput() {
	out := c.session.Output()
	for _, f := range out {
		if !c.keptPayload && c.world.lender.stale(f.Payload) {
			c.keptPayload = true
			c.observe(nil, Event{Kind: Bug, Detail: Note("kept payload: the handler pushed the payload of a frame handed to an earlier callback; a payload is valid only until its callback returns: copy it to keep it (string(msg.Payload), bytes.Clone(msg.Payload))")})
		}
		c.write(f)
	}
	clear(out)
}

// answer answers the pings and the close frame the peer has read, as client
// libraries do, unless told not to.
//
// Answering runs the Session, which may write more pings to answer: the
// first call answers them all in a loop, the calls within it return at once.
// Each pong is a turn of the connection (see spend): a handler that answers
// every pong with a ping is a loop, stopped until the clock moves.
func (c *Conn) answer() {
	if c.answering {
		return
	}
	c.answering = true
	defer func() { c.answering = false }()
	for !c.closed && !c.closeSent && !c.blocked() {
		switch {
		case len(c.toPong) > 0 && !c.stopped():
			pong := sock.Frame{Op: sock.OpPong, Payload: c.toPong[0]}
			c.toPong = c.toPong[1:]
			c.spend()
			c.recordFrame(ClientSent, pong)
			c.deliver(pong)
		case c.toAnswer != nil && !c.ignoreClose:
			answer := sock.CloseFrame(*c.toAnswer, "")
			c.recordFrame(ClientSent, answer)
			c.deliver(answer)
		default:
			return
		}
	}
}

// write puts one server frame on the wire: to the peer if it reads, into the
// buffer if it does not and there is room, else the loop blocks.
func (c *Conn) write(f sock.Frame) {
	switch {
	case c.blocked():
		c.stalled = append(c.stalled, sock.Frame{Op: f.Op, Payload: c.world.bytes.keep(f.Payload)})
	case c.reading:
		c.recordFrame(ServerWrote, f)
		c.peerRead(f)
	case c.unreadBytes+len(f.Payload) > c.bufferSize:
		c.record(ServerWrote, Note("blocked writing "+f.String()))
		c.stalled = append(c.stalled, sock.Frame{Op: f.Op, Payload: c.world.bytes.keep(f.Payload)})
		c.blockedSince = c.world.now
	default:
		c.recordFrame(ServerWrote, f)
		c.unread = append(c.unread, sock.Frame{Op: f.Op, Payload: c.world.bytes.keep(f.Payload)}) // in the socket's buffer
		c.unreadBytes += len(f.Payload)
	}
}

// peerRead gives the peer its own copy of a frame the server wrote, as a
// socket would: the handler may reuse the buffer once it is written.
func (c *Conn) peerRead(f sock.Frame) {
	f.Payload = c.world.bytes.keep(f.Payload)
	c.received = append(c.received, f)
	if f.Op == sock.OpPing && !c.ignorePings {
		c.toPong = append(c.toPong, c.world.bytes.keep(f.Payload)) // the pong's own: the handler gets it
	}
	if f.Op == sock.OpClose && c.toAnswer == nil {
		code, _, _ := f.ParseClose() // the Session sends only valid ones
		c.toAnswer = &code
	}
}

func (c *Conn) blocked() bool { return len(c.stalled) > 0 }

func (c *Conn) closeIfDone() {
	if c.session.Done() && !c.blocked() && !c.closed {
		c.closed = true
		c.record(TransportClosed, Note("transport"))
	}
}

// deadline returns when the connection next needs the clock: the end of a
// blocked write, or the Session's deadline.
func (c *Conn) deadline() time.Time {
	switch {
	case c.closed:
		return time.Time{}
	case c.blocked():
		return c.blockedSince.Add(c.session.Options().WriteTimeout)
	}
	return c.session.Deadline()
}

// maxTurns bounds how many times one connection runs — a tick or a delivery
// of infos — while the world settles one step, before the world reports a
// loop.
const maxTurns = 1000

// spend counts a turn of the connection in the world's current step. A
// connection that takes maxTurns turns in one step is in a loop (timers due
// now that set timers due now, infos it keeps sending itself or another
// connection, pings answering every pong): the world reports a bug and
// leaves it alone until the clock moves.
func (c *Conn) spend() {
	w := c.world
	if c.settling != w.settling {
		c.settling, c.turns = w.settling, 0
	}
	if c.turns++; c.turns < maxTurns {
		return
	}
	c.stoppedAt = w.now
	if !c.looped {
		c.looped = true
		c.observe(nil, Event{Kind: Bug, Detail: Note(fmt.Sprintf("loop: the connection ran %d times in one step without time passing (timers due now, infos, or pings answering pongs); it waits for the clock to move", c.turns))})
	}
}

// stopped reports whether a loop stopped the connection at the current
// instant.
func (c *Conn) stopped() bool { return c.stoppedAt.Equal(c.world.now) }

// tick fires what is due now.
func (c *Conn) tick() {
	if c.blocked() {
		c.record(ServerWrote, Note("write timed out"))
		c.stalled, c.waiting = nil, nil
		c.session.Fail(c.world.now, sock.ErrWriteTimeout)
	} else {
		c.session.Tick(c.world.now)
	}
	c.flush()
}
