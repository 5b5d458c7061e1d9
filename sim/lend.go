package sim

import (
	"slices"
	"unsafe"

	"github.com/sockkit/sockkit/internal/lent"
	"github.com/sockkit/sockkit/sock"
)

// lender lends the Session the payload of each frame the peer sends, in a
// buffer of its own, and overwrites it with poison once the frames written
// in answer are out: a payload is valid only until its callback returns
// (see [sock.Frame]), because hosts reuse the buffer they read into. A
// handler that keeps a payload finds it overwritten, in a test as it would
// in production; one that pushes it later is caught by stale, which knows
// the spans lent from lately.
type lender struct {
	arena arena    // the buffers lent: chunks that start small and double, large payloads on their own
	spans [][]byte // the chunks and large buffers lent from, oldest first, within the bounds below
	bytes int      // in spans
	lent  []byte   // the payload lent for the frame being handled, until it is overwritten
}

// maxLentSpans and maxLentBytes bound the chunks and large buffers stale
// knows of, so that a long simulation's memory stays bounded; the arena's
// current chunk is known whatever the bounds. A payload kept from further
// back is still overwritten, only not reported.
const (
	maxLentSpans = 64
	maxLentBytes = 4 << 20
)

// lend returns a copy of p in a buffer of the lender's, to be overwritten by
// reclaim.
func (l *lender) lend(p []byte) []byte {
	if l.arena.made == nil {
		l.arena.made = l.remember
	}
	l.lent = l.arena.keep(p) // nil for an empty p: not the client's spare capacity
	return l.lent
}

// remember adds a span lent from, forgetting the oldest past the bounds.
func (l *lender) remember(span []byte) {
	l.spans = append(l.spans, span)
	l.bytes += cap(span)
	forget := 0
	for kept := len(l.spans); kept > 1 && (kept > maxLentSpans || l.bytes > maxLentBytes); kept-- {
		l.bytes -= cap(l.spans[forget])
		forget++
	}
	l.spans = slices.Delete(l.spans, 0, forget)
}

// reclaim overwrites the payload lent last: its callback has returned and
// what was written in answer is out.
func (l *lender) reclaim() {
	lent.Poison(l.lent) // text: a kept text payload pushed stays UTF-8, for stale to tell
	l.lent = nil
}

// stale reports whether p starts in a payload lent and reclaimed before:
// a handler kept it past its callback. An empty p reads nothing.
func (l *lender) stale(p []byte) bool {
	if len(p) == 0 {
		return false
	}
	at := uintptr(unsafe.Pointer(unsafe.SliceData(p)))
	if within(at, l.lent) {
		return false // lent for the frame being handled: an echo
	}
	if within(at, l.arena.chunk) { // the current chunk, from its start
		return true
	}
	for _, span := range l.spans {
		if within(at, span) {
			return true
		}
	}
	return false
}

// within reports whether address at lies in b.
func within(at uintptr, b []byte) bool {
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return at >= start && at < start+uintptr(cap(b))
}

// lends reports whether a callback may see f's payload, which is then
// lent: a message within the limit, a ping or a pong within the control
// limit. The Session refuses the others before any callback runs, and a
// close frame's text reaches Terminate as a string.
func lends(f sock.Frame, maxMessage int64) bool {
	switch f.Op {
	case sock.OpText, sock.OpBinary:
		return int64(len(f.Payload)) <= maxMessage
	case sock.OpPing, sock.OpPong:
		return len(f.Payload) <= 125
	}
	return false
}
