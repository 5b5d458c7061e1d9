package sockgws

import (
	"encoding/binary"
	"fmt"
	"net"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// reader is the connection gws sees. It reads the socket and follows the
// frames in what it reads, ahead of gws: so it tells the Session that part
// of a frame arrived, refuses what gws would allocate before it knows
// better (a frame that breaks the protocol but declares a huge length; a
// 64-bit length with the top bit set, which makes gws panic; a message
// past the limit), and takes a message's declared length past
// [sockhttp.FreeBytes] from the server's budget as its header arrives, as
// gws allocates it then. It swallows what gws writes (its 101, its close
// replies) and ignores gws's Close: the transport writes, and closes.
type reader struct {
	net.Conn
	t   *transport
	max int64 // the largest message

	hdr     [14]byte // the frame header being read
	hdrLen  int      // of it, read so far
	left    uint64   // bytes of the current frame's payload not read yet
	current int64    // declared bytes of the data message being read
	more    bool     // the data message being read has more fragments to come
	held    []int64  // of the budget, by data message not handed over yet, oldest first
	err     error    // why reading ended, as the Session should see it; the next Read returns it
}

// Read reads the socket for gws. What it reads before a failure is gws's
// first: the bytes crypto/tls returns with io.EOF, the frames before a
// refused header. The failure comes at the next Read.
func (r *reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.Conn.Read(p)
	before, refused := r.follow(p[:n])
	if refused != nil {
		n, err = before, refused
	} else if r.partial() && r.t.emit != nil { // part of a message is in, which gws does not tell: activity
		r.t.emit(sock.Frame{Op: sock.OpContinuation})
	}
	r.err = err
	if n > 0 {
		return n, nil
	}
	return 0, err
}

// partial reports whether a frame, or a message in fragments, is begun
// and not whole.
func (r *reader) partial() bool { return r.left > 0 || r.hdrLen > 0 || r.more }

// follow walks the frames in b: payloads skipped, headers checked. If it
// refuses a header, it returns why, and how many bytes of b came before
// it; those are whole frames, or parts of one begun before.
func (r *reader) follow(b []byte) (before int, refused error) {
	for at := 0; at < len(b); {
		if r.left > 0 {
			skip := min(r.left, uint64(len(b)-at))
			r.left -= skip
			at += int(skip)
			continue
		}
		if r.hdrLen == 0 {
			before = at
		}
		want := 2 // the first two bytes say how long the header is
		if r.hdrLen >= 2 {
			want = headerSize(r.hdr[:2])
		}
		c := copy(r.hdr[r.hdrLen:want], b[at:])
		r.hdrLen += c
		at += c
		if r.hdrLen < 2 || r.hdrLen < headerSize(r.hdr[:2]) {
			continue
		}
		if err := r.header(r.hdr[:r.hdrLen]); err != nil {
			return before, err
		}
		r.hdrLen = 0
	}
	return len(b), nil
}

// headerSize is the length of a client's frame header whose first two
// bytes are h.
func headerSize(h []byte) int {
	size := 2
	switch h[1] & 0x7F {
	case 126:
		size += 2
	case 127:
		size += 8
	}
	if h[1]&0x80 != 0 {
		size += 4
	}
	return size
}

// header checks a whole frame header, before gws reads it.
func (r *reader) header(h []byte) error {
	fin, rsv, op, masked := h[0]&0x80 != 0, h[0]&0x70, sock.Opcode(h[0]&0x0F), h[1]&0x80 != 0
	var length uint64
	switch n := h[1] & 0x7F; n {
	case 126:
		length = uint64(binary.BigEndian.Uint16(h[2:]))
	case 127:
		length = binary.BigEndian.Uint64(h[2:])
	default:
		length = uint64(n)
	}
	switch {
	case length > 1<<63-1:
		return fmt.Errorf("%w: frame length out of range", sock.ErrProtocol)
	case rsv != 0:
		return fmt.Errorf("%w: reserved bits set", sock.ErrProtocol)
	case !masked:
		return fmt.Errorf("%w: unmasked frame", sock.ErrProtocol)
	case op.IsControl() && (length > 125 || !fin):
		return fmt.Errorf("%w: %s frame of %d bytes, final %v", sock.ErrProtocol, op, length, fin)
	case !op.IsControl() && op != sock.OpContinuation && op != sock.OpText && op != sock.OpBinary,
		op.IsControl() && op != sock.OpClose && op != sock.OpPing && op != sock.OpPong:
		return fmt.Errorf("%w: reserved opcode %d", sock.ErrProtocol, op)
	}
	r.left = length
	switch {
	case op.IsControl():
		return nil
	// Before the length, as gorilla checks: a frame out of order breaks
	// the protocol, whatever its size.
	case op == sock.OpContinuation && !r.more:
		return fmt.Errorf("%w: a continuation of no message", sock.ErrProtocol)
	case op != sock.OpContinuation && r.more:
		return fmt.Errorf("%w: a message inside a fragmented one", sock.ErrProtocol)
	}
	if !r.more { // the first fragment of a message
		r.current = 0
		r.held = append(r.held, 0)
	}
	r.more = !fin
	if length > uint64(r.max-r.current) { // checked before the sum, which could wrap
		return fmt.Errorf("%w: more than %d bytes", sock.ErrMessageTooBig, r.max)
	}
	r.current += int64(length)
	if need, last := r.current-sockhttp.FreeBytes, len(r.held)-1; last >= 0 && need > r.held[last] {
		if !r.t.budget.Take(need - r.held[last]) {
			return r.t.budget.Err()
		}
		r.held[last] = need
	}
	return nil
}

// handed notes that gws handed a data message over: what it held of the
// budget is given back.
func (r *reader) handed() {
	if len(r.held) > 0 {
		r.t.budget.Give(r.held[0])
		r.held = append(r.held[:0], r.held[1:]...) // in place: a re-slice lost the capacity, an allocation a message
	}
}

// release gives back all the reader holds of the budget.
func (r *reader) release() {
	for _, h := range r.held {
		r.t.budget.Give(h)
	}
	r.held = nil
}

func (r *reader) Write(p []byte) (int, error) { return len(p), nil }

func (r *reader) Close() error { return nil }
