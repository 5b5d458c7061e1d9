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
// methods: a World is not safe for concurrent use, except that handlers'
// [sock.Conn.SendInfo] may be called from any goroutine (such sends are not
// deterministic).
//
// After every action the World settles: it delivers the infos handlers sent
// each other and fires what is due at the current instant, choosing among
// connections by its seeded random source, until nothing is left. The same
// seed and the same actions give the same [Trace], byte for byte.
type World struct {
	rng      *rand.Rand
	now      time.Time
	conns    []*Conn
	trace    [][]Event // in chunks: a long simulation never copies what it recorded
	untraced bool      // record nothing
	bytes    arena     // the trace's and the peers' copies of payloads

	mu       sync.Mutex   // guards mailful: SendInfo may run on other goroutines
	mailful  []*Conn      // connections whose info queue went from empty to not empty
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
func (w *World) record(conn uint64, e Event) {
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
	return w.ConnectWith(h, sock.ConnInfo{}, opts)
}

// ConnectWith is [World.Connect] for a connection with an upgrade request and
// a subprotocol, as a server's negotiation decided them (the handler sees
// them with [sock.Conn.Request] and [sock.Conn.Subprotocol]). The world
// numbers its connections: info.ID is ignored.
func (w *World) ConnectWith(h sock.Handler, info sock.ConnInfo, opts *sock.Options) *Conn {
	var o sock.Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = w.logger
	}
	c := &Conn{world: w, id: uint64(len(w.conns) + 1), reading: true, bufferSize: DefaultBufferSize}
	info.ID = c.id
	c.session = sock.NewSession(observe(h, c.observe, !w.untraced, w.bytes.keep), info, &o)
	c.session.NotifyInfo(func() { w.mailArrived(c) })
	w.conns = append(w.conns, c)
	w.record(c.id, Event{Kind: ClientSent, Detail: Note("connect")})
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

// takeMailful removes and returns a connection with infos waiting that can
// take them now, chosen by the seeded source, or nil. A connection whose
// loop is stuck in a write keeps its place until the write ends.
func (w *World) takeMailful() *Conn {
	if w.mailfulN.Load() == 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var ready []int
	for i, c := range w.mailful {
		if !c.blocked() {
			ready = append(ready, i)
		}
	}
	if len(ready) == 0 {
		return nil
	}
	i := ready[w.rng.IntN(len(ready))]
	c := w.mailful[i]
	w.mailful = slices.Delete(w.mailful, i, i+1)
	w.mailfulN.Store(int32(len(w.mailful)))
	return c
}

// Settle delivers waiting infos and fires what is due at the current
// instant — timers set for now, an After(0) among them, as Serve fires them
// at once — until nothing is left. Actions settle by themselves; call it
// after sending to a handler's [sock.Conn] from outside.
//
// A handler that sets zero-delay timers in a loop would keep one instant
// from ending: after maxTicksPerInstant (1000) ticks of one connection at
// one instant, the world records a [Bug] and leaves that connection alone
// until the clock moves.
func (w *World) Settle() {
	for {
		if c := w.takeMailful(); c != nil {
			c.session.DeliverInfo(w.now)
			c.flush()
			continue
		}
		due, _ := w.nextDue(w.now)
		if len(due) == 0 {
			return
		}
		due[w.rng.IntN(len(due))].tick()
	}
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
		w.moveClock(at)
		w.Settle()
	}
	w.moveClock(end)
}

// moveClock moves the virtual time to at, if that is later.
func (w *World) moveClock(at time.Time) {
	if at.After(w.now) {
		w.record(0, Event{Kind: Clock, Detail: Note("+" + at.Sub(w.now).String())})
		w.now = at
	}
}

// nextDue returns the connections whose earliest deadline is the first one
// not after end, and that deadline. A connection caught in a timer loop at
// the current instant waits until end: its deadlines fire late, but a loop
// has been reported as a bug, and the world keeps going.
func (w *World) nextDue(end time.Time) ([]*Conn, time.Time) {
	var due []*Conn
	var first time.Time
	for _, c := range w.conns {
		d := c.deadline()
		switch {
		case d.IsZero() || d.After(end):
			continue
		case c.looping():
			if !end.After(w.now) {
				continue
			}
			d = end // it fires again once the clock has moved
		case d.Before(w.now):
			d = w.now // overdue, after a loop: it fires now
		}
		switch {
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
