package sockt

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
)

// Conn is a test's connection to a server, in the simulator or over a
// loopback socket, accepted or refused. The client side answers the server's
// close frames and pings, as client libraries do. Methods must be called
// from the test's goroutine. Assertion failures stop the test with t.Fatal
// and show a diff and the end of the transcript.
//
// At cleanup, sockt closes an accepted connection if the test left it open,
// and fails the test unless Terminate ran exactly once, and if the handler
// had a bug sock survived: Terminate panicked, a loop of zero-delay timers
// or of infos to itself (caught in the simulator; over loopback it spins), or
// — unless the test looked at it with [Conn.ExpectTerminate] — a callback
// that panicked or returned a Result sock refused.
type Conn struct {
	t         TB
	server    *Server
	request   *http.Request
	handshake Handshake
	d         connDriver // nil when refused
	inbox     []sock.Frame
	saw       bool // ExpectTerminate has looked at the reason
}

func newConn(s *Server, r *http.Request, d connDriver, h Handshake) *Conn {
	c := &Conn{t: s.t, server: s, request: r, handshake: h, d: d}
	if d != nil {
		s.t.Cleanup(c.finish)
	}
	return c
}

// finish ends the connection and checks what only the end can tell.
func (c *Conn) finish() {
	var problems []string
	if p := c.d.finish(); p != "" {
		problems = append(problems, p)
	}
	for _, bug := range c.d.bugs() {
		// A test that looked at the reason has seen a bug that ended the
		// connection; not these, which end nothing.
		seen := c.saw && !strings.HasPrefix(bug, "Terminate panicked") && !strings.HasPrefix(bug, "loop:") && !strings.HasPrefix(bug, "kept payload:")
		if !seen {
			problems = append(problems, "handler bug: "+bug)
		}
	}
	if len(problems) > 0 {
		c.t.Errorf("sockt: %s\n%s", strings.Join(problems, "\n"), c.tail())
	}
}

// Server returns the server c is connected to.
func (c *Conn) Server() *Server { return c.server }

// Connect opens another connection to the same server with the same
// upgrade request, for handlers that talk to each other such as a chat
// room. Its transcript is shared with c.
func (c *Conn) Connect() *Conn {
	c.t.Helper()
	return c.server.Connect(c.request)
}

// syncPayload is the payload of Sync's pings.
const syncPayload = "sockt:sync"

// Sync waits until the server has handled everything the client sent
// before: the client pings and waits for the pong, keeping the frames that
// come first for the Expect methods. It reports false, at once, if the
// connection has ended. Over loopback, where the server runs on its own
// goroutines, Sync is the way to know that a message has had its effects on
// this connection before the next step; an info the handler sent to
// another connection is handled there before anything that connection
// receives later, so syncing that one too makes sure of it. In the
// simulator everything happens at once, but Sync pings too, so that the
// handler sees the same both ways (HandleControl gets the ping); a peer
// that stopped reading gets its pong when it reads again. Sync's pongs
// are left out of the Expect methods and of [Conn.End].
func (c *Conn) Sync() bool {
	c.t.Helper()
	if c.d == nil {
		c.refused()
	}
	if _, n := c.d.terminated(0); n > 0 {
		return false
	}
	c.d.send(sock.Frame{Op: sock.OpPing, Payload: []byte(syncPayload)})
	deadline := time.Now().Add(c.server.opts.Wait)
	for {
		f, ok := c.d.next(time.Until(deadline))
		switch {
		case !ok && c.Sim() != nil:
			_, n := c.d.terminated(0) // the simulator has handled it all at once
			return n == 0
		case !ok && time.Now().Before(deadline):
			return false // the connection ended: nothing more to read
		case !ok:
			if _, n := c.d.terminated(0); n > 0 {
				return false
			}
			c.fatalf("Sync: no pong within %v", c.server.opts.Wait)
		case f.Op == sock.OpPong && string(f.Payload) == syncPayload:
			return true
		}
		c.inbox = append(c.inbox, f)
		if f.Op == sock.OpClose {
			return false
		}
	}
}

// End ends the connection — the client closes it with 1000 "done" unless
// Terminate has run — waits for it to end, and returns what the client saw
// of it: every frame it received, in order (data, pongs, the server's close
// frame), whether or not an Expect method took it, the pongs of
// [Conn.Sync] aside; and what Terminate
// received. A test can compare whole conversations with it, as the
// scenarios package's differential check does.
func (c *Conn) End() (received []sock.Frame, r sock.Reason) {
	c.t.Helper()
	if c.d == nil {
		c.refused()
	}
	frames, r, ok := c.d.end()
	if !ok {
		c.fatalf("End: Terminate did not run")
	}
	return slices.DeleteFunc(frames, func(f sock.Frame) bool {
		return f.Op == sock.OpPong && string(f.Payload) == syncPayload
	}), r
}

// Handshake returns the server's answer to the upgrade request.
func (c *Conn) Handshake() Handshake { return c.handshake }

// ExpectRefused expects the server to have refused the upgrade with status,
// and returns its answer, whose Body and Header the test may check.
func (c *Conn) ExpectRefused(status int) Handshake {
	c.t.Helper()
	h := c.handshake
	switch {
	case h.accepted():
		c.fatalf("ExpectRefused(%d): the server accepted (subprotocol %q)", status, h.Subprotocol)
	case h.Status != status:
		c.fatalf("ExpectRefused(%d): refused with %d %q", status, h.Status, h.Body)
	}
	return h
}

// ExpectAccepted expects the server to have accepted the upgrade with the
// subprotocol sub ("" for none), and returns its answer, whose Header the
// test may check.
func (c *Conn) ExpectAccepted(sub string) Handshake {
	c.t.Helper()
	h := c.handshake
	switch {
	case !h.accepted():
		c.fatalf("ExpectAccepted(%q): refused with %d %q", sub, h.Status, h.Body)
	case h.Subprotocol != sub:
		c.fatalf("ExpectAccepted(%q): accepted with subprotocol %q", sub, h.Subprotocol)
	}
	return h
}

// refused fails the test: the server refused the connection, there is
// nothing to drive. Each caller calls t.Helper first, on this path only:
// Helper walks the stack, which costs more than a simulated round trip.
func (c *Conn) refused() {
	c.t.Helper()
	c.fatalf("the server refused the connection with %d %q: there is nothing to drive", c.handshake.Status, c.handshake.Body)
}

// SendText sends a text message from the client. s need not be valid UTF-8.
func (c *Conn) SendText(s string) {
	if c.d == nil {
		c.t.Helper()
		c.refused()
	}
	c.d.send(sock.Frame{Op: sock.OpText, Payload: []byte(s)})
}

// SendBinary sends a binary message from the client.
func (c *Conn) SendBinary(b []byte) {
	if c.d == nil {
		c.t.Helper()
		c.refused()
	}
	c.d.send(sock.Binary(b))
}

// Ping sends a ping from the client.
func (c *Conn) Ping(payload []byte) {
	if c.d == nil {
		c.t.Helper()
		c.refused()
	}
	c.d.send(sock.Frame{Op: sock.OpPing, Payload: payload})
}

// SendFrame sends f from the client exactly as given: any opcode, any
// payload, such as an unsolicited pong or a malformed close frame. Over
// loopback gorilla's client sends it, and refuses what it cannot write (a
// control frame over 125 bytes, an unknown opcode): the transcript says so.
func (c *Conn) SendFrame(f sock.Frame) {
	if c.d == nil {
		c.t.Helper()
		c.refused()
	}
	c.d.send(f)
}

// SendRaw writes b to the server as it is, in one write: frames a client
// library refuses to send (a reserved bit, an unmasked frame, a length no
// message has), or several frames at once. The bytes are the client's
// own, masked or not as b has them; let b end at a frame's end, or the
// client's answer to a ping may land inside the frame it began. It needs
// a socket: over [DialServer] and [DialURL] it writes b; in the
// simulator, which carries frames and not bytes, it fails the test.
func (c *Conn) SendRaw(b []byte) {
	if c.d == nil {
		c.t.Helper()
		c.refused()
	}
	if err := c.d.sendRaw(b); err != nil {
		c.t.Helper()
		c.fatalf("SendRaw: %v", err)
	}
}

// Sim returns the simulated connection, for what only the simulator can do
// (fragments spread over time, faults; see package sim), or nil over
// loopback and for a refused connection.
func (c *Conn) Sim() *sim.Conn {
	if d, ok := c.d.(*simConn); ok {
		return d.conn
	}
	return nil
}

// Close sends a close frame from the client.
func (c *Conn) Close(code sock.CloseCode, text string) {
	if c.d == nil {
		c.t.Helper()
		c.refused()
	}
	c.d.send(sock.CloseFrame(code, text))
}

// SendInfo delivers info to the handler's HandleInfo, as another goroutine
// would with [sock.Conn.SendInfo], and returns SendInfo's error.
func (c *Conn) SendInfo(info any) error {
	if c.d == nil {
		c.t.Helper()
		c.refused()
	}
	c.server.mustBeInProcess("SendInfo")
	return c.d.info(info)
}

// Advance lets d pass, as [Server.Advance] does.
func (c *Conn) Advance(d time.Duration) { c.server.Advance(d) }

// Transcript returns what has happened on the server's connections, one
// event a line.
func (c *Conn) Transcript() []string {
	lines, _ := c.server.d.transcript(0)
	return lines
}

func (c *Conn) fatalf(format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf("sockt: %s\n%s", fmt.Sprintf(format, args...), c.tail())
}

// tail returns the end of the transcript for failure messages; only that
// end is formatted, which matters to a fuzzer failing thousands of times
// while it shrinks.
func (c *Conn) tail() string {
	const n = 20
	lines, total := c.server.d.transcript(n)
	head := "transcript:"
	if total > n {
		head = fmt.Sprintf("transcript (last %d of %d events):", n, total)
	}
	return head + "\n\t" + strings.Join(lines, "\n\t")
}

// tail formats the last events of t (all of them, if last is 0), and says
// how many t has.
func tail(t sim.Trace, last int) ([]string, int) {
	if last > 0 && len(t) > last {
		return t[len(t)-last:].Lines(), len(t)
	}
	return t.Lines(), len(t)
}
