// Package client is socktui's connection to a WebSocket server: it dials,
// owns the socket, sends what it is told to, and reports everything that
// happens as typed events on a channel. It knows nothing of the terminal,
// so that the TUI, the line mode and the tests drive it alike.
package client

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockkit/sockkit/internal/wire"
	"github.com/sockkit/sockkit/internal/wsurl"
	"github.com/sockkit/sockkit/sock"
)

// Config says where and how to connect.
type Config struct {
	URL          string      // ws:// or wss://; no scheme means ws://
	Header       http.Header // sent with the upgrade request: Authorization, Origin, cookies…
	Subprotocols []string
	TLS          *tls.Config                           // for wss://; nil means crypto/tls's defaults
	Proxy        func(*http.Request) (*url.URL, error) // nil: no proxy
	Timeout      time.Duration                         // for the handshake; 0 means 10s
}

// Handshake is the opening handshake as it happened.
type Handshake struct {
	URL           string
	RequestHeader http.Header
	Status        int // 101 when accepted
	Header        http.Header
	Subprotocol   string
	Extensions    string
	Body          string // a refusal's body, cut at 4 KiB
}

// Kind says what an Event is.
type Kind uint8

const (
	Opened  Kind = iota + 1 // the server accepted: Event.Handshake
	Refused                 // the server refused: Event.Handshake has status and body
	In                      // a frame came from the server: Event.Frame
	Out                     // a frame went to the server: Event.Frame
	Closed                  // the connection is over: Event.Err says how, if not cleanly
	Note                    // something the user should know: Event.Text
)

var kindNames = [...]string{Opened: "open", Refused: "refused", In: "in", Out: "out", Closed: "closed", Note: "note"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Event is one thing that happened on a connection.
type Event struct {
	At        time.Time
	Kind      Kind
	Frame     sock.Frame    // In and Out
	RTT       time.Duration // In, for a pong answering one of our pings
	Handshake *Handshake    // Opened and Refused
	Err       error         // Closed: nil for a clean close; Refused: why
	Text      string        // Note
	Raw       bool          // Out: written by SendRaw, as no well-behaved client would
}

// Conn is a connection to a server.
type Conn struct {
	events chan Event
	outbox chan outgoing // what Send and SendRaw queued, for the writer
	ws     *websocket.Conn

	mu     sync.Mutex // guards what follows
	pings  map[string]time.Time
	closed bool
	paused atomic.Bool   // the reader stops before its next message
	wake   chan struct{} // tells a stopped reader to look at paused again

	answerPings atomic.Bool
	dropped     atomic.Bool    // Drop cut the connection
	done        chan struct{}  // closed when the connection ends
	writer      sync.WaitGroup // the writer, which emits until done
}

// Dial connects as cfg says. The handshake's outcome is the first event:
// Opened, or Refused (and then Closed); Dial returns an error only for a
// configuration it cannot use.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	u, err := wsurl.Parse(cfg.URL)
	if err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	d := websocket.Dialer{
		HandshakeTimeout: timeout, Subprotocols: cfg.Subprotocols, TLSClientConfig: cfg.TLS, Proxy: cfg.Proxy,
		ReadBufferSize: 32 << 10, WriteBufferSize: 32 << 10,
	}
	c := &Conn{events: make(chan Event, 1024), outbox: make(chan outgoing, 1024), pings: map[string]time.Time{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	c.answerPings.Store(true)
	header := cfg.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	go c.dial(ctx, &d, u.String(), header)
	return c, nil
}

func (c *Conn) dial(ctx context.Context, d *websocket.Dialer, u string, header http.Header) {
	ws, resp, err := d.DialContext(ctx, u, header)
	h := &Handshake{URL: u, RequestHeader: header}
	if resp != nil {
		h.Status, h.Header = resp.StatusCode, resp.Header
		if resp.Request != nil { // as sent, with the dialer's own headers
			h.RequestHeader = resp.Request.Header.Clone()
			h.RequestHeader.Set("Host", resp.Request.Host)
		}
		h.Extensions = resp.Header.Get("Sec-WebSocket-Extensions")
	}
	if err != nil {
		if resp != nil && resp.Body != nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
			h.Body = string(body)
		}
		c.emit(Event{Kind: Refused, Handshake: h, Err: err})
		c.end(err)
		return
	}
	h.Subprotocol = ws.Subprotocol()
	c.mu.Lock()
	c.ws = ws
	c.mu.Unlock()
	if c.dropped.Load() { // Drop came while dialling: the reader ends at once
		ws.NetConn().Close()
	}
	ws.SetReadLimit(-1)
	ws.SetPingHandler(c.onPing)
	ws.SetPongHandler(c.onPong)
	ws.SetCloseHandler(c.onClose)
	c.emit(Event{Kind: Opened, Handshake: h})
	c.writer.Add(1)
	go c.write()
	c.read()
}

// Events returns the connection's events, in order; the channel is closed
// after Closed.
func (c *Conn) Events() <-chan Event { return c.events }

func (c *Conn) emit(e Event) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	c.events <- e
}

// end reports the end of the connection, once.
func (c *Conn) end(err error) {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.mu.Unlock()
	if already {
		return
	}
	c.mu.Lock()
	ws := c.ws
	c.mu.Unlock()
	if ws != nil {
		ws.Close()
	}
	close(c.done)
	c.writer.Wait() // its last events before Closed
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce):
		err = nil // the closing handshake: its close frame was an In event
	case c.dropped.Load():
		err = ErrDropped
	}
	c.emit(Event{Kind: Closed, Err: err})
	close(c.events)
}

// read runs until the connection fails, reporting what comes.
func (c *Conn) read() {
	for {
		for c.paused.Load() {
			select {
			case <-c.wake:
			case <-c.done:
				return
			}
		}
		op, p, err := c.ws.ReadMessage()
		if err != nil {
			c.end(err)
			return
		}
		c.emit(Event{Kind: In, Frame: sock.Frame{Op: sock.Opcode(op), Payload: p}})
	}
}

func (c *Conn) onPing(data string) error {
	c.emit(Event{Kind: In, Frame: sock.Frame{Op: sock.OpPing, Payload: []byte(data)}})
	if c.answerPings.Load() {
		c.Send(sock.Frame{Op: sock.OpPong, Payload: []byte(data)}) // unless closed
	}
	return nil
}

func (c *Conn) onPong(data string) error {
	e := Event{Kind: In, Frame: sock.Frame{Op: sock.OpPong, Payload: []byte(data)}, At: time.Now()}
	c.mu.Lock()
	if sent, ok := c.pings[data]; ok {
		e.RTT = e.At.Sub(sent)
		delete(c.pings, data)
	}
	c.mu.Unlock()
	c.emit(e)
	return nil
}

// onClose reports the server's close frame and answers it with its code,
// as browsers do.
func (c *Conn) onClose(code int, text string) error {
	f := sock.Frame{Op: sock.OpClose}
	if code != websocket.CloseNoStatusReceived {
		f = sock.CloseFrame(sock.CloseCode(code), text)
	}
	c.emit(Event{Kind: In, Frame: f})
	reply := sock.Frame{Op: sock.OpClose}
	if code != websocket.CloseNoStatusReceived {
		reply = sock.CloseFrame(sock.CloseCode(code), "")
	}
	// Written at once, not queued: the reader is about to end the
	// connection. Unless the client's own close went first.
	if err := c.writeFrame(reply); err == nil {
		c.emit(Event{Kind: Out, Frame: reply})
	}
	return nil
}

// Send queues f to be sent: a text or binary message, a ping, a pong or a
// close frame, whatever its payload (invalid UTF-8, an illegal close code:
// socktui pokes servers). It never blocks: frames go out in order on the
// connection's writer, each an Out event once written, or a Note if writing
// failed. A ping's payload is remembered to time its pong.
func (c *Conn) Send(f sock.Frame) error { return c.queue(outgoing{frame: f}, false) }

// RawFrame is a frame written as it is, whatever the protocol says: a
// message in fragments with control frames between them, a control frame
// over 125 bytes, a reserved bit set.
type RawFrame struct {
	Fin     bool
	Rsv1    bool
	Op      sock.Opcode
	Payload []byte
}

// SendRaw queues frames to be written as they are, masked as a client's
// must be, each an Out event (of its opcode and payload) once queued for
// the wire.
func (c *Conn) SendRaw(frames ...RawFrame) error { return c.queue(outgoing{raw: frames}, false) }

// outgoing is what the writer writes: a frame, or raw frames.
type outgoing struct {
	frame sock.Frame
	raw   []RawFrame
}

// SendWait is Send, waiting for room in the queue instead of refusing the
// frame: for a sender that must not lose any, as line mode reading a pipe.
// It fails once the connection has ended.
func (c *Conn) SendWait(f sock.Frame) error { return c.queue(outgoing{frame: f}, true) }

// queue puts o in the writer's queue; if the queue is full, it waits for
// room if wait, and refuses o if not.
func (c *Conn) queue(o outgoing, wait bool) error {
	if err := c.check(o); err != nil {
		return err
	}
	if wait {
		select {
		case c.outbox <- o:
		case <-c.done:
			return errors.New("the connection is closed")
		}
	} else {
		select {
		case c.outbox <- o:
		default:
			return errors.New("sending faster than the connection takes: frame dropped")
		}
	}
	// A close frame's answer must be read for the connection to end.
	if o.frame.Op == sock.OpClose || slices.ContainsFunc(o.raw, func(f RawFrame) bool { return f.Op == sock.OpClose }) {
		c.Reading(true)
	}
	return nil
}

// check says why o cannot be queued, if it cannot: no connection, or a
// control frame gorilla would refuse to write (SendRaw writes those).
func (c *Conn) check(o outgoing) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch f := o.frame; {
	case c.ws == nil:
		return errors.New("not connected")
	case c.closed:
		return errors.New("the connection is closed")
	case o.raw == nil && !f.Op.IsData() && len(f.Payload) > 125:
		return fmt.Errorf("a %v frame holds 125 bytes at most, this one %d", f.Op, len(f.Payload))
	}
	return nil
}

// write sends what Send queued, until the connection ends.
func (c *Conn) write() {
	defer c.writer.Done()
	for {
		select {
		case o := <-c.outbox:
			if o.raw != nil {
				c.writeRaw(o.raw)
				continue
			}
			// Out before the write, so that it comes before what answers it.
			c.emit(Event{Kind: Out, Frame: o.frame})
			if err := c.writeFrame(o.frame); err != nil && !errors.Is(err, websocket.ErrCloseSent) {
				c.emit(Event{Kind: Note, Text: fmt.Sprintf("sending %v failed: %v", o.frame, err)})
			}
		case <-c.done:
			return
		}
	}
}

// writeRaw writes frames on the socket itself, around gorilla.
func (c *Conn) writeRaw(frames []RawFrame) {
	var b []byte
	for _, f := range frames {
		c.emit(Event{Kind: Out, Frame: sock.Frame{Op: f.Op, Payload: f.Payload}, Raw: true})
		b = appendFrame(b, f)
	}
	conn := c.ws.NetConn()
	conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write(b); err != nil {
		c.emit(Event{Kind: Note, Text: "sending raw frames failed: " + err.Error()})
	}
	conn.SetWriteDeadline(time.Time{})
}

// appendFrame appends f to b as RFC 6455 section 5.2 lays a client's frame
// out: masked, with the shortest length encoding.
func appendFrame(b []byte, f RawFrame) []byte {
	var rsv byte
	if f.Rsv1 {
		rsv = 0x40
	}
	var key [4]byte
	rand.Read(key[:])
	return wire.Append(b, wire.Header{Fin: f.Fin, RSV: rsv, Op: byte(f.Op) & 0x0f, Masked: true}, key, f.Payload)
}

func (c *Conn) writeFrame(f sock.Frame) error {
	if f.Op.IsData() {
		return c.ws.WriteMessage(int(f.Op), f.Payload)
	}
	if f.Op == sock.OpPing {
		c.mu.Lock()
		c.pings[string(f.Payload)] = time.Now()
		c.mu.Unlock()
	}
	return c.ws.WriteControl(int(f.Op), f.Payload, time.Now().Add(5*time.Second))
}

// Close sends a close frame with code and text and lets the server answer.
func (c *Conn) Close(code sock.CloseCode, text string) error {
	return c.Send(sock.CloseFrame(code, text))
}

// ErrDropped is the Closed event's error after [Conn.Drop].
var ErrDropped = errors.New("dropped by the client, without a close frame")

// Drop cuts the TCP connection without a close frame: the Closed event
// follows, with ErrDropped.
func (c *Conn) Drop() {
	c.dropped.Store(true)
	c.mu.Lock()
	ws := c.ws
	c.mu.Unlock()
	if ws != nil {
		ws.NetConn().Close()
		c.Reading(true) // a stopped reader must see the end
	}
}

// AnswerPings says whether the client answers the server's pings, as
// clients must; off, it tests the server's keepalive.
func (c *Conn) AnswerPings(on bool) { c.answerPings.Store(on) }

// Reading stops or resumes reading: stopped, the server's writes back up.
// A message being read when it stops still arrives. Sending a close frame
// or dropping the connection resumes reading: its end must be read.
func (c *Conn) Reading(on bool) {
	c.paused.Store(!on)
	select {
	case c.wake <- struct{}{}:
	default: // a wake-up is on its way already
	}
}

// Done is closed once the connection is over.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Buffered returns how many events wait to be taken: a reader can flush its
// output when none do.
func (c *Conn) Buffered() int { return len(c.events) }
