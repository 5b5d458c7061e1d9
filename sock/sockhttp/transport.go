package sockhttp

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockkit/sockkit/sock"
)

// transport carries a Session over a gorilla/websocket connection.
//
// gorilla answers pings and close frames itself and does not check text for
// UTF-8; transport turns all of that off and hands every frame to the Session,
// which owns those rules.
//
// One gap remains: gorilla reads a close frame with a one-byte payload as one
// without status (1005) instead of a protocol error, and does not show the raw
// payload, so the Session cannot tell.
type transport struct {
	ws     *websocket.Conn
	max    int64   // the largest message, in bytes
	budget *Budget // the server's, for messages still arriving; nil for none
	lent   *[]byte // the pooled buffer of the message being read or handled, if it has one
	last   int     // the size of the last message, up to FreeBytes: the next starts in a buffer that holds as much
}

var _ sock.Transport = (*transport)(nil)

// gorilla is sockhttp's own [Host]: gorilla/websocket's Upgrader, with
// the checks it would make left to the Server, which made them before.
type gorilla struct{ upgrader websocket.Upgrader }

// A pointer: a gorilla by value is copied at each Upgrade, and the copy of
// the Upgrader grew the stack under the whole connection to 8 KiB
// (measured: 21.6 KB a connection against 17.5, TestIdleConnMemoryBudget).
func newGorilla(o *Options) *gorilla {
	return &gorilla{websocket.Upgrader{
		ReadBufferSize:    o.ReadBufferSize,
		WriteBufferSize:   o.WriteBufferSize,
		EnableCompression: o.EnableCompression,
		CheckOrigin:       func(*http.Request) bool { return true }, // checked before, with the patterns
	}}
}

func (g *gorilla) Upgrade(w http.ResponseWriter, r *http.Request, header http.Header, l Limits) (sock.Transport, error) {
	ws, err := g.upgrader.Upgrade(w, r, header)
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(l.MaxMessageSize)
	return &transport{ws: ws, max: l.MaxMessageSize, budget: l.Budget}, nil
}

// partial is what the transport emits when part of a message has arrived.
var partial = sock.Frame{Op: sock.OpContinuation}

// ReadFrames implements [sock.Transport].
func (t *transport) ReadFrames(emit func(sock.Frame)) error {
	control := func(op sock.Opcode) func(string) error {
		return func(data string) error {
			emit(sock.Frame{Op: op, Payload: []byte(data)})
			return nil
		}
	}
	t.ws.SetPingHandler(control(sock.OpPing))
	t.ws.SetPongHandler(control(sock.OpPong))
	t.ws.SetCloseHandler(func(int, string) error { return nil }) // the Session answers
	for {
		op, r, err := t.ws.NextReader()
		if err != nil {
			return t.readError(err, emit)
		}
		payload, err := t.readMessage(r, emit)
		if err != nil {
			return t.readError(err, emit)
		}
		emit(sock.Frame{Op: sock.Opcode(op), Payload: payload})
		t.takeBack()
	}
}

// takeBack gives the buffer lent for the message read last, if any, back
// to the pool: its payload was lent to emit, which has returned.
//
// Not inlined: in ReadFrames, whose frame lies under every control frame's
// handling, the pool's code grew the stack of every connection that had a
// ping to 8 KiB; a call of its own for the whole message grew it on the
// handler's path (both measured with TestIdleConnMemoryBudget).
//
//go:noinline
func (t *transport) takeBack() {
	giveBack(t.lent)
	t.lent = nil
}

// readMessage reads the rest of a message from r, emitting partial each time
// a read returned part of it: bytes arriving are activity, even before the
// message is whole. It stops with an error past t.max bytes: gorilla's read
// limit counts bytes on the wire, and a compressed message must also stop at
// the limit once inflated, not be buffered whole.
//
// The message is read into a buffer lent from the pool (t.lent) the size
// of the last message (512 bytes at least), then of twice the size each
// time it is full and a small probe finds that the message goes on: a
// connection whose messages are alike reads each in one buffer, and emits
// partial once rather than after every piece of a growing buffer. Past [FreeBytes] the buffer is the
// message's own, and what it holds past FreeBytes is taken from the
// server's budget until the message is whole: past the budget, the
// message fails with [sock.ErrBusy]. The buffer of a message that fails
// goes back to the pool at once; ReadFrames gives back the others once it
// has emitted them.
func (t *transport) readMessage(r io.Reader, emit func(sock.Frame)) (_ []byte, err error) {
	over := t.max // the first size past the limit: reading one byte more tells
	if over < math.MaxInt64 {
		over++
	}
	t.lent = lend(max(minBuffer, t.last))
	b := (*t.lent)[:0]
	var probe [64]byte
	var held int64 // of the budget
	defer func() {
		t.budget.Give(held)
		if err != nil {
			t.takeBack()
		}
	}()
	for {
		var n int
		if len(b) < cap(b) {
			n, err = r.Read(b[len(b):min(int64(cap(b)), over)])
			b = b[:len(b)+n]
		} else if n, err = r.Read(probe[:]); n > 0 {
			var ok bool
			if b, held, ok = t.grow(b, held); !ok {
				return nil, t.budget.Err()
			}
			b = append(b, probe[:n]...)
		}
		switch {
		case int64(len(b)) > t.max:
			return nil, fmt.Errorf("%w: more than %d bytes once decompressed", sock.ErrMessageTooBig, t.max)
		case err == io.EOF:
			t.last = min(len(b), FreeBytes)
			return b[:len(b):len(b)], nil // not the pooled buffer's spare capacity
		case err != nil:
			return nil, err
		case n > 0:
			emit(partial)
		}
	}
}

// grow returns a buffer twice the size of b, holding b: lent from the
// pool up to FreeBytes, the message's own past it, with what it holds past
// FreeBytes taken from the budget (held so far, returned updated). It
// reports false if the budget refused.
func (t *transport) grow(b []byte, held int64) ([]byte, int64, bool) {
	size := 2 * cap(b)
	if size <= FreeBytes {
		lent := lend(size)
		b = append((*lent)[:0], b...)
		giveBack(t.lent)
		t.lent = lent
		return b, held, true
	}
	if need := int64(size) - FreeBytes; need > held {
		if !t.budget.Take(need - held) {
			return nil, held, false
		}
		held = need
	}
	b = append(make([]byte, 0, size), b...)
	t.takeBack()
	return b, held, true
}

// readError turns what gorilla's readers return into a close frame for the
// Session or an error wrapping the sock sentinel it stands for.
func (t *transport) readError(err error, emit func(sock.Frame)) error {
	var closeErr *websocket.CloseError
	switch {
	case errors.Is(err, sock.ErrMessageTooBig), errors.Is(err, sock.ErrBusy): // readMessage's own
		return err
	case errors.As(err, &closeErr) && closeErr.Code == websocket.CloseAbnormalClosure:
		return io.ErrUnexpectedEOF // gorilla's name for a connection cut mid-frame
	case errors.As(err, &closeErr):
		emit(sock.CloseFrame(sock.CloseCode(closeErr.Code), closeErr.Text))
		return nil
	case errors.Is(err, websocket.ErrReadLimit):
		return t.readLimit(err)
	case isIOError(err):
		return err
	}
	// Everything else gorilla reports while reading is a frame that breaks
	// RFC 6455 (bad opcode, RSV bits, unmasked or fragmented control frame,
	// stray continuation, bad close code...), for which it has already sent
	// close 1002.
	return fmt.Errorf("%w: %w", sock.ErrProtocol, err)
}

// readLimit tells apart the two things gorilla calls ErrReadLimit: a
// message over the limit, for which it has sent close 1009, and a 64-bit
// frame length with the top bit set (RFC 6455 §5.2 forbids it), for which
// it has sent nothing. Sending close 1002 tells which: gorilla refuses a
// second close frame.
func (t *transport) readLimit(err error) error {
	werr := t.ws.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseProtocolError, ""), time.Now().Add(time.Second))
	switch {
	case errors.Is(werr, websocket.ErrCloseSent):
		return fmt.Errorf("%w: %w", sock.ErrMessageTooBig, err)
	case werr == nil:
		return fmt.Errorf("%w: frame length out of range", sock.ErrProtocol)
	}
	return werr
}

func isIOError(err error) bool {
	var netErr net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.As(err, &netErr)
}

// WriteFrame implements [sock.Transport].
//
// After a close frame, nothing more is written, and that is no error: gorilla
// refuses every write once it has sent one (ErrCloseSent), and it sends its
// own when its reader meets a protocol error or an oversize message, before
// ReadFrames reports the error. A frame pushed from another goroutine in
// between (an info's) was taken for a lost connection (1006), where the
// reader was about to report the peer's fault (a race the differential
// corpus met about once in ten runs under -race).
func (t *transport) WriteFrame(f sock.Frame, deadline time.Time) error {
	var err error
	if f.Op.IsData() {
		if err = t.ws.SetWriteDeadline(deadline); err == nil {
			err = t.ws.WriteMessage(int(f.Op), f.Payload)
		}
	} else {
		err = t.ws.WriteControl(int(f.Op), f.Payload, deadline)
	}
	if errors.Is(err, websocket.ErrCloseSent) {
		return nil
	}
	return err
}

// Close implements [sock.Transport].
func (t *transport) Close() error { return t.ws.Close() }
