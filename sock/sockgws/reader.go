package sockgws

import (
	"net"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// reader is the connection gws sees: it reads the socket, telling the
// Session that part of a message arrived and taking what a message still
// arriving holds from the server's budget; it swallows what gws writes
// (its 101, its close replies) and ignores gws's Close — the transport
// writes, and closes.
type reader struct {
	net.Conn
	t *transport

	pending int64 // bytes read since the last frame gws handed over
	held    int64 // of the budget, for them
	err     error // why a read failed, as the Session should see it
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if err != nil {
		r.err = err
		return n, err
	}
	if r.pending > 0 && r.t.emit != nil { // more of a frame begun before: activity
		r.t.emit(sock.Frame{Op: sock.OpContinuation})
	}
	r.pending += int64(n)
	if need := r.pending - sockhttp.FreeBytes; need > r.held {
		if !r.t.budget.Take(need - r.held) {
			r.err = r.t.budget.Err()
			return 0, r.err
		}
		r.held = need
	}
	return n, nil
}

// whole notes that gws handed over a frame: what was read is no longer a
// message still arriving.
func (r *reader) whole() {
	r.pending = 0
	r.release()
}

// release gives the budget back.
func (r *reader) release() {
	r.t.budget.Give(r.held)
	r.held = 0
}

func (r *reader) Write(p []byte) (int, error) { return len(p), nil }

func (r *reader) Close() error { return nil }
