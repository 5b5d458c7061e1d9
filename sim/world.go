package sim

import (
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockkit/sockkit/sock"
)

// Epoch is the virtual time at which every World starts.
var Epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// World holds simulated connections that share one virtual clock and one
// seeded scheduler. Everything happens on the goroutine that calls its
// methods: a World is not safe for concurrent use, except that handlers' Conn.Send
// may be called from any goroutine (such sends are not deterministic).
//
// After every action the World settles: it delivers the messages handlers
// sent each other, choosing among connections with waiting mail by its seeded
// random source, until none is left. The same seed and the same actions give
// the same [Trace], byte for byte.
type World struct {
	rng      *rand.Rand
	now      time.Time
	conns    []*Conn
	trace    [][]Event // in chunks: a long simulation never copies what it recorded
	untraced bool      // record nothing

	mu       sync.Mutex   // guards mailful: Conn.Send may run on other goroutines
	mailful  []*Conn      // connections whose mailbox went from empty to not empty
	mailfulN atomic.Int32 // len(mailful), read without the lock to settle fast

	logger *slog.Logger
}

// New returns an empty World whose scheduler is seeded with seed.
func New(seed uint64) *World {
	return &World{
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		now:    Epoch,
		logger: discard,
	}
}

// discard is the logger of simulated connections that were given none.
var discard = slog.New(slog.DiscardHandler)

// NewUntraced returns a World like [New] that records no trace, and so runs
// several times faster: for running many lifecycles, as a fuzzer does, where
// only a failing one needs to run again, traced. Its Trace is empty; all else
// behaves the same.
func NewUntraced(seed uint64) *World {
	w := New(seed)
	w.untraced = true
	return w
}

// Now returns the virtual time.
func (w *World) Now() time.Time { return w.now }

// Trace returns what has happened so far, in a new slice.
func (w *World) Trace() Trace {
	var t Trace
	for _, chunk := range w.trace {
		t = append(t, chunk...)
	}
	return t
}

// Conns returns the world's connections in the order they were opened.
func (w *World) Conns() []*Conn { return slices.Clone(w.conns) }

// The trace's chunks start small, for short simulations, and double up to
// maxTraceChunk events.
const (
	minTraceChunk = 32
	maxTraceChunk = 4096
)

// record appends e to the trace, stamped with the time and conn.
func (w *World) record(conn int, e Event) {
	if w.untraced {
		return
	}
	if n := len(w.trace); n == 0 || len(w.trace[n-1]) == cap(w.trace[n-1]) {
		size := minTraceChunk
		if n > 0 {
			size = min(2*cap(w.trace[n-1]), maxTraceChunk)
		}
		w.trace = append(w.trace, make([]Event, 0, size))
	}
	last := &w.trace[len(w.trace)-1]
	e.At, e.Conn = w.now.Sub(Epoch), conn
	*last = append(*last, e)
}

// Connect opens a simulated connection to handler h: it runs Init and settles.
// A nil opts means sock's defaults, except that the logger discards.
func (w *World) Connect(h sock.Handler, opts *sock.Options) *Conn {
	var o sock.Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = w.logger
	}
	c := &Conn{world: w, n: len(w.conns) + 1, reading: true, bufferSize: DefaultBufferSize}
	c.session = sock.NewSession(observe(h, c.observe, !w.untraced), sock.ConnInfo{ID: uint64(c.n)}, &o)
	c.session.NotifyInfo(func() { w.mailArrived(c) })
	w.conns = append(w.conns, c)
	w.record(c.n, Event{Kind: ClientSent, Detail: Note("connect")})
	c.session.Open(w.now)
	c.flush()
	w.Settle()
	return c
}

func (w *World) mailArrived(c *Conn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !slices.Contains(w.mailful, c) {
		w.mailful = append(w.mailful, c)
		w.mailfulN.Store(int32(len(w.mailful)))
	}
}

// takeMailful removes and returns a connection with waiting mail, chosen by
// the seeded source, or nil.
func (w *World) takeMailful() *Conn {
	if w.mailfulN.Load() == 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.mailful) == 0 {
		return nil
	}
	i := w.rng.IntN(len(w.mailful))
	c := w.mailful[i]
	w.mailful = slices.Delete(w.mailful, i, i+1)
	w.mailfulN.Store(int32(len(w.mailful)))
	return c
}

// Settle delivers waiting mail until there is none. Actions settle by
// themselves; call it after sending to a handler's Conn from outside.
func (w *World) Settle() {
	var stuck []*Conn
	for c := w.takeMailful(); c != nil; c = w.takeMailful() {
		if c.blocked() { // its loop is stuck in a write: the mail waits
			stuck = append(stuck, c)
			continue
		}
		c.session.DeliverInfo(w.now)
		c.flush()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.mailful = append(w.mailful, stuck...) // for the Settle after the write ends
	w.mailfulN.Store(int32(len(w.mailful)))
}

// Advance moves the virtual clock forward by d, firing on the way, in time
// order, every deadline that falls due: handler timers, keepalive pings,
// idle, pong, write and closing-handshake timeouts. Deadlines due at the same
// instant on several connections fire in an order the seeded source picks.
func (w *World) Advance(d time.Duration) {
	end := w.now.Add(d)
	for {
		due, at := w.nextDue(end)
		if len(due) == 0 {
			break
		}
		if at.After(w.now) {
			w.record(0, Event{Kind: Clock, Detail: Note("+" + at.Sub(w.now).String())})
			w.now = at
		}
		c := due[w.rng.IntN(len(due))]
		c.tick()
		w.Settle()
	}
	if end.After(w.now) {
		w.record(0, Event{Kind: Clock, Detail: Note("+" + end.Sub(w.now).String())})
		w.now = end
	}
}

// nextDue returns the connections whose earliest deadline is the first one
// not after end, and that deadline.
func (w *World) nextDue(end time.Time) ([]*Conn, time.Time) {
	var due []*Conn
	var first time.Time
	for _, c := range w.conns {
		d := c.deadline()
		switch {
		case d.IsZero() || d.After(end):
		case len(due) == 0 || d.Before(first):
			due, first = []*Conn{c}, d
		case d.Equal(first):
			due = append(due, c)
		}
	}
	return due, first
}

// Shutdown shuts every open connection down, as a server going away does
// (close 1001), and settles.
func (w *World) Shutdown() {
	for _, c := range w.conns {
		c.Shutdown()
	}
}
