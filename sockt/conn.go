package sockt

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sockkit/sockkit/sock"
)

// TB is the part of testing.TB that sockt uses: *testing.T and *testing.B
// satisfy it, and so can a reporter of your own (the examples print).
// Fatalf must not return: testing.T's stops the test goroutine.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Factory makes the handler for one connection.
type Factory func() sock.Handler

// Options configures a test connection. A nil *Options means all defaults.
type Options struct {
	// Session configures the connection as in production. Nil means sock's
	// defaults, except that without a Logger nothing is logged.
	Session *sock.Options
	// Seed seeds the simulator's scheduler. Default 1.
	Seed uint64
	// Wait bounds how long, over loopback, Expect methods wait for a frame
	// or for Terminate. Default 2s. The simulator never waits.
	Wait time.Duration
	// Quiet is how long, over loopback, RefutePush watches for a frame that
	// should not come. Default 50ms. The simulator knows at once.
	Quiet time.Duration
}

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Wait <= 0 {
		c.Wait = 2 * time.Second
	}
	if c.Quiet <= 0 {
		c.Quiet = 50 * time.Millisecond
	}
	// Tests provoke errors on purpose: log nowhere, in both modes alike.
	session := sock.Options{Logger: discard}
	if c.Session != nil {
		session = *c.Session
		if session.Logger == nil {
			session.Logger = discard
		}
	}
	c.Session = &session
	return c
}

var discard = slog.New(slog.DiscardHandler)

// driver is what a Conn needs of the simulator or of a loopback socket.
type driver interface {
	// connect opens another connection to the same server or world.
	connect(t TB) *Conn
	send(f sock.Frame)
	info(v any) error
	advance(d time.Duration)
	shutdown()
	// next returns the next frame the client has read, waiting up to wait.
	next(wait time.Duration) (sock.Frame, bool)
	// terminated waits up to wait for Terminate and returns its reason and
	// how many times it ran.
	terminated(wait time.Duration) (sock.Reason, int)
	transcript() []string
	// finish ends the connection if it is still open and releases
	// everything; it reports a problem, or "".
	finish(o *Options) string
}

// Conn is a test's connection to one handler, in the simulator ([New]) or
// over a loopback socket ([Dial]); [Run] runs one test both ways. The client
// side answers the server's close frames and pings, as client libraries do.
// Methods must be called from the test's goroutine. Assertion failures stop
// the test with t.Fatal and show a diff and the end of the transcript.
type Conn struct {
	t       TB
	d       driver
	opts    Options
	pending []sock.Frame // frames read and skipped by ExpectPush, kept for ExpectPong
}

func newConn(t TB, d driver, o Options) *Conn {
	c := &Conn{t: t, d: d, opts: o}
	t.Cleanup(func() {
		if problem := d.finish(&o); problem != "" {
			c.t.Errorf("sockt: %s\n%s", problem, c.tail())
		}
	})
	return c
}

// Connect opens another connection to the same server (over loopback) or
// world (in the simulator), with a handler from the same factory, for
// handlers that talk to each other such as a chat room. Its transcript is
// shared with c.
func (c *Conn) Connect() *Conn {
	c.t.Helper()
	return c.d.connect(c.t)
}

// SendText sends a text message from the client. s need not be valid UTF-8.
func (c *Conn) SendText(s string) { c.d.send(sock.Frame{Op: sock.OpText, Payload: []byte(s)}) }

// SendBinary sends a binary message from the client.
func (c *Conn) SendBinary(b []byte) { c.d.send(sock.Binary(b)) }

// Ping sends a ping from the client.
func (c *Conn) Ping(payload []byte) { c.d.send(sock.Frame{Op: sock.OpPing, Payload: payload}) }

// Close sends a close frame from the client.
func (c *Conn) Close(code sock.CloseCode, reason string) { c.d.send(sock.CloseFrame(code, reason)) }

// Send delivers info to the handler's HandleInfo, as another goroutine would
// with [sock.Conn.Send], and returns Send's error.
func (c *Conn) SendInfo(info any) error { return c.d.info(info) }

// Advance lets d pass. In the simulator virtual time jumps at once, firing
// what falls due; over loopback Advance sleeps, so keep d short in tests run
// both ways.
func (c *Conn) Advance(d time.Duration) { c.d.advance(d) }

// Shutdown shuts the connection down as a server going away does.
func (c *Conn) Shutdown() { c.d.shutdown() }

// Transcript returns what has happened on the connection, one event a line.
func (c *Conn) Transcript() []string { return c.d.transcript() }

// ExpectPush takes the next message the handler pushed, skipping pings and
// pongs, and fails the test unless m matches it.
func (c *Conn) ExpectPush(m Matcher) sock.Frame {
	c.t.Helper()
	f, ok := c.nextMessage()
	if !ok {
		c.fatalf("ExpectPush(%v): nothing was pushed", m)
	}
	if !m.Match(f) {
		c.fatalf("ExpectPush: pushed frame does not match (-want +got):\n%s", cmp.Diff(m.String(), f.String()))
	}
	return f
}

// ExpectText expects the next pushed message to be text s.
func (c *Conn) ExpectText(s string) {
	c.t.Helper()
	c.ExpectPush(Text(s))
}

// ExpectBinary expects the next pushed message to be binary b.
func (c *Conn) ExpectBinary(b []byte) {
	c.t.Helper()
	c.ExpectPush(Binary(b))
}

// RefutePush fails the test if the handler pushed a message (pings and pongs
// aside) that no Expect has taken. Over loopback it watches for
// [Options].Quiet.
func (c *Conn) RefutePush() {
	c.t.Helper()
	if f, ok := c.nextMessageWithin(c.opts.Quiet); ok {
		c.fatalf("RefutePush: the handler pushed %v", f)
	}
}

// ExpectPong expects a pong with payload among the control frames the client
// has read, in order.
func (c *Conn) ExpectPong(payload []byte) {
	c.t.Helper()
	want := sock.Frame{Op: sock.OpPong, Payload: payload}
	for {
		f, ok := c.nextFrame(c.opts.Wait)
		if !ok {
			c.fatalf("ExpectPong(%x): no pong came", payload)
		}
		if f.Op == sock.OpPong {
			if diff := cmp.Diff(want.String(), f.String()); diff != "" {
				c.fatalf("ExpectPong: (-want +got):\n%s", diff)
			}
			return
		}
		if f.Op != sock.OpPing {
			c.pending = append(c.pending, f)
		}
	}
}

// ExpectClose expects the server's close frame, with code and reason, as the
// next frame after any pushed messages have been taken.
func (c *Conn) ExpectClose(code sock.CloseCode, reason string) {
	c.t.Helper()
	f, ok := c.nextMessageWithin(c.opts.Wait)
	if !ok {
		c.fatalf("ExpectClose(%d, %q): the server sent no close frame", int(code), reason)
	}
	if diff := cmp.Diff(sock.CloseFrame(code, reason).String(), f.String()); diff != "" {
		c.fatalf("ExpectClose: (-want +got):\n%s", diff)
	}
}

// ExpectTerminate expects Terminate to have run once with a reason of kind
// and returns the reason.
func (c *Conn) ExpectTerminate(kind sock.ReasonKind) sock.Reason {
	c.t.Helper()
	r, n := c.d.terminated(c.opts.Wait)
	switch {
	case n == 0:
		c.fatalf("ExpectTerminate(%v): Terminate has not run", kind)
	case n > 1:
		c.fatalf("ExpectTerminate(%v): Terminate ran %d times", kind, n)
	case r.Kind != kind:
		c.fatalf("ExpectTerminate: reason kind (-want +got):\n%s\nreason: %v", cmp.Diff(kind.String(), r.Kind.String()), r)
	}
	return r
}

// nextMessage returns the next text or binary frame, failing on a close.
func (c *Conn) nextMessage() (sock.Frame, bool) {
	c.t.Helper()
	f, ok := c.nextMessageWithin(c.opts.Wait)
	if ok && f.Op == sock.OpClose {
		c.fatalf("expected a pushed message, the server closed: %v", f)
	}
	return f, ok
}

// nextMessageWithin returns the next frame that is not a ping or pong.
func (c *Conn) nextMessageWithin(wait time.Duration) (sock.Frame, bool) {
	for {
		f, ok := c.nextFrame(wait)
		if !ok || (f.Op != sock.OpPing && f.Op != sock.OpPong) {
			return f, ok
		}
	}
}

func (c *Conn) nextFrame(wait time.Duration) (sock.Frame, bool) {
	if len(c.pending) > 0 {
		f := c.pending[0]
		c.pending = c.pending[1:]
		return f, true
	}
	return c.d.next(wait)
}

func (c *Conn) fatalf(format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf("sockt: %s\n%s", fmt.Sprintf(format, args...), c.tail())
}

// tail returns the end of the transcript for failure messages.
func (c *Conn) tail() string {
	const n = 20
	lines := c.d.transcript()
	head := "transcript:"
	if len(lines) > n {
		head = fmt.Sprintf("transcript (last %d of %d events):", n, len(lines))
		lines = lines[len(lines)-n:]
	}
	return head + "\n\t" + strings.Join(lines, "\n\t")
}
