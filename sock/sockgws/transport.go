package sockgws

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/lxzan/gws"

	"github.com/sockkit/sockkit/internal/lent"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// transport carries a Session over a connection gws reads: gws parses the
// frames and hands them to events, which emits them; this writes them.
type transport struct {
	raw    net.Conn
	reader *reader
	conn   *gws.Conn
	budget *sockhttp.Budget

	emit     func(sock.Frame) // ReadFrames's, while it runs
	err      error            // what ended the read loop, as the Session should see it
	sent     bool             // a close frame was written: nothing more is
	deadline time.Time        // the socket's write deadline
	frame    [14]byte         // a frame header being written
}

var _ sock.Transport = (*transport)(nil)

// ReadFrames implements [sock.Transport]: gws's read loop, on this
// goroutine, calls events for every frame.
func (t *transport) ReadFrames(emit func(sock.Frame)) error {
	t.emit = emit
	defer t.reader.release()
	t.conn.ReadLoop()
	return t.err
}

// WriteFrame implements [sock.Transport]. Writes come one at a time, from
// whichever goroutine holds the Session.
func (t *transport) WriteFrame(f sock.Frame, deadline time.Time) error {
	if t.sent {
		return nil // after our close frame, as gorilla's ErrCloseSent: nothing more
	}
	if !deadline.Equal(t.deadline) { // Serve moves it once in a while, not at every write
		if err := t.raw.SetWriteDeadline(deadline); err != nil {
			return err
		}
		t.deadline = deadline
	}
	h := t.frame[:2]
	h[0], h[1] = 0x80|byte(f.Op), 0
	switch n := len(f.Payload); {
	case n <= 125:
		h[1] = byte(n)
	case n <= 0xFFFF:
		h[1] = 126
		h = binary.BigEndian.AppendUint16(h, uint16(n))
	default:
		h[1] = 127
		h = binary.BigEndian.AppendUint64(h, uint64(n))
	}
	err := t.write(h, f.Payload)
	if f.Op == sock.OpClose {
		t.sent = true
	}
	if errors.Is(err, io.ErrShortWrite) {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// write writes a frame's header and payload as gws does, in one write
// of a pooled buffer they are copied into: one write of a 1 KiB frame over
// loopback took 16% less CPU time than writev of its two parts (12 paired
// runs of a throwaway benchmark, p=0.004). A frame larger than the buffer
// goes in two writes: the buffer with the header and the payload's start,
// then the rest from the payload itself. Over TLS, whose connection has no
// writev, the header never goes alone in a record of its own.
func (t *transport) write(header, payload []byte) error {
	b := smallFrames.Get().(*[smallFrame]byte)
	defer smallFrames.Put(b)
	n := copy(b[:], header)
	start := copy(b[n:], payload)
	if _, err := t.raw.Write(b[:n+start]); err != nil || start == len(payload) {
		return err
	}
	_, err := t.raw.Write(payload[start:])
	return err
}

// smallFrame is the size of the buffer write copies frames into.
const smallFrame = 4 << 10

var smallFrames = sync.Pool{New: func() any { return new([smallFrame]byte) }}

// Close implements [sock.Transport]: gws's read loop ends with the error
// of its next read.
func (t *transport) Close() error { return t.raw.Close() }

// events receives what gws reads, for every connection: the transport is
// found from the connection gws reads through.
type events struct{}

func transportOf(c *gws.Conn) *transport { return c.NetConn().(*reader).t }

func (events) OnOpen(*gws.Conn) {}

func (events) OnPing(c *gws.Conn, payload []byte) {
	transportOf(c).emit(sock.Frame{Op: sock.OpPing, Payload: payload})
}

func (events) OnPong(c *gws.Conn, payload []byte) {
	transportOf(c).emit(sock.Frame{Op: sock.OpPong, Payload: payload})
}

func (events) OnMessage(c *gws.Conn, m *gws.Message) {
	t := transportOf(c)
	t.reader.handed()
	op := sock.OpBinary
	if m.Opcode == gws.OpcodeText {
		op = sock.OpText
	}
	p := m.Bytes()
	t.emit(sock.Frame{Op: op, Payload: p[:len(p):len(p)]}) // not the pooled buffer's spare capacity
	if lent.Poisoning {
		lent.Poison(p)
	}
	m.Close() // the payload was lent to emit: its buffer goes back to gws's pool
}

// OnClose turns what ended gws's read loop into what the Session should
// hear: the peer's close frame, which gws read before whatever the reader
// met after it, or an error wrapping sock's sentinel. The reader checks
// every frame header gws would, and more, before gws reads it, and sees
// every failed read; what gws could still report itself is a protocol
// error.
func (events) OnClose(c *gws.Conn, err error) {
	t := transportOf(c)
	var closed *gws.CloseError
	switch {
	case errors.As(err, &closed): // only a close frame read makes one
		var payload []byte
		if closed.Code != 0 || closed.Reason != nil {
			payload = append(binary.BigEndian.AppendUint16(nil, closed.Code), closed.Reason...)
		}
		t.emit(sock.Frame{Op: sock.OpClose, Payload: payload})
	case t.reader.err != nil: // ours: a frame refused, the budget, the socket
		t.err = t.reader.err
	case err != nil:
		t.err = fmt.Errorf("%w: %w", sock.ErrProtocol, err)
	}
}
