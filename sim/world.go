package sim

import (
	"cmp"
	"container/heap"
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
	lender   lender    // the Session's payloads, lent for a callback
	settling uint64    // counts Settle calls, for loop detection
	names    names     // renders infos without addresses
	holding  bool      // infos wait for DeliverInfos
	due      dueHeap   // connections with a deadline, by when it is
	dueBuf   []*Conn   // reused by nextDue

	progress atomic.Uint64 // events recorded, traced or not: see Progress

	mu       sync.Mutex   // guards mailful: SendInfo may run on other goroutines
	mailful  []*Conn      // connections whose info queue went from empty to not empty, by ID
	mailfulN atomic.Int32 // len(mailful), read without the lock to settle fast
	readyBuf []*Conn      // reused by readyMail

	logger *slog.Logger
}

// Progress returns how many events the world has recorded so far, traced
// or not. It is safe to call from any goroutine while the world runs: a
// watchdog on another goroutine tells a callback that does not return (no
// progress) from a step that takes long (progress all along).
func (w *World) Progress() uint64 { return w.progress.Load() }

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

// TraceFrom returns the events from the n-th on (from 0), in a new slice:
// what happened since a caller last looked, without copying the rest.
func (w *World) TraceFrom(n int) Trace {
	n = max(n, 0)
	var t Trace
	for _, chunk := range w.trace {
		if n >= len(chunk) {
			n -= len(chunk)
			continue
		}
		t = append(t, chunk[n:]...)
		n = 0
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
	w.progress.Add(1)
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
	c := &Conn{world: w, id: uint64(len(w.conns) + 1), reading: true, bufferSize: DefaultBufferSize, dueIndex: -1}
	info.ID = c.id
	c.session = sock.NewSession(observe(h, c.observe, !w.untraced, w.bytes.keep, w.names.render), info, &o)
	c.maxMessage = c.session.Options().MaxMessageSize
	c.session.NotifyInfo(func() { w.mailArrived(c) })
	w.conns = append(w.conns, c)
	w.record(c.id, Event{Kind: ClientSent, Detail: Note("connect")})
	c.session.Open(w.now)
	c.flush()
	w.Settle()
	return c
}

// mailArrived notes that c has infos waiting. The connections are kept by
// ID, not in the order the infos came: a handler that sends to the members
// of a map sends in a different order every run, and only the seed is to
// choose.
func (w *World) mailArrived(c *Conn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if i, found := slices.BinarySearchFunc(w.mailful, c.id, byID); !found {
		w.mailful = slices.Insert(w.mailful, i, c)
		w.mailfulN.Store(int32(len(w.mailful)))
	}
}

func byID(c *Conn, id uint64) int { return cmp.Compare(c.id, id) }

// readyMail returns the connections with infos waiting that can take them
// now, by ID: not one whose loop is stuck in a write, nor one stopped by a
// loop. The slice is reused: valid until the next call.
func (w *World) readyMail() []*Conn {
	if w.mailfulN.Load() == 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.mailful = slices.DeleteFunc(w.mailful, func(c *Conn) bool { return c.terminations > 0 }) // their infos are gone
	w.mailfulN.Store(int32(len(w.mailful)))
	ready := w.readyBuf[:0]
	for _, c := range w.mailful {
		if !c.blocked() && !c.stopped() {
			ready = append(ready, c)
		}
	}
	w.readyBuf = ready
	return ready
}

// deliver hands c its waiting infos.
func (w *World) deliver(c *Conn) {
	w.mu.Lock()
	if i, found := slices.BinarySearchFunc(w.mailful, c.id, byID); found {
		w.mailful = slices.Delete(w.mailful, i, i+1)
		w.mailfulN.Store(int32(len(w.mailful)))
	}
	w.mu.Unlock()
	c.session.DeliverInfo(w.now)
	c.flush()
}

// Settle delivers waiting infos (unless [World.HoldInfos] holds them) and
// fires what is due at the current instant — timers set for now, an After(0) among them, as Serve fires them
// at once — until nothing is left. Actions settle by themselves; call it
// after sending to a handler's [sock.Conn] from outside. Which connection
// goes next, and whether a delivery goes before a timer, the seeded source
// picks: under Serve they race.
//
// A handler that keeps setting zero-delay timers, or sending itself infos,
// would keep one step from ending: after 1000 turns of one connection in one
// step, the world records a [Bug] and leaves that connection alone until the
// clock moves.
func (w *World) Settle() {
	w.settling++
	w.settle()
}

// settle is Settle within the current step: turns counted so far count on.
func (w *World) settle() {
	for {
		var mail []*Conn
		if !w.holding {
			mail = w.readyMail()
		}
		due, _ := w.nextDue(w.now)
		n := len(mail) + len(due)
		if n == 0 {
			return
		}
		if i := w.rng.IntN(n); i < len(mail) {
			mail[i].spend()
			w.deliver(mail[i])
		} else {
			due[i-len(mail)].spend()
			due[i-len(mail)].tick()
		}
	}
}

// HoldInfos(true) makes the world leave infos waiting when it settles, from
// one step to the next, until [World.DeliverInfos] delivers them; under
// [sock.Serve] an info may still be queued when a shutdown starts, when the
// peer's close frame arrives, when a timer fires or while a write is
// blocked, and handlers have bugs in exactly those windows. HoldInfos(false)
// goes back to delivering every info as the world settles, the default, and
// delivers what waits.
func (w *World) HoldInfos(hold bool) {
	w.holding = hold
	if !hold {
		w.Settle()
	}
}

// DeliverInfos delivers the infos waiting for one connection, chosen by the
// seeded source among those that can take them now, then settles; it
// reports whether any could be delivered. With [World.HoldInfos], it is how
// infos arrive, one connection at a time, in an order the seed decides.
func (w *World) DeliverInfos() bool {
	mail := w.readyMail()
	if len(mail) == 0 {
		return false
	}
	c := mail[w.rng.IntN(len(mail))]
	c.spend()
	w.deliver(c)
	w.settle() // a run of DeliverInfos is one step: a loop of infos is caught
	return true
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
	w.Settle() // what a loop left waiting runs once the clock has moved
}

// moveClock moves the virtual time to at, if that is later.
func (w *World) moveClock(at time.Time) {
	if at.After(w.now) {
		w.record(0, Event{Kind: Clock, Detail: Note("+" + at.Sub(w.now).String())})
		w.now = at
	}
}

// nextDue returns the connections whose earliest deadline is the first one
// not after end, in the order they were opened, and that deadline. A
// connection stopped by a loop at the current instant waits until end: its
// deadlines fire late, but the loop has been reported as a bug, and the
// world keeps going.
//
// It looks only at the connections due by then, and their children in the
// heap: a scan of every connection at every turn made a world of many
// connections quadratic.
func (w *World) nextDue(end time.Time) ([]*Conn, time.Time) {
	first, ok := w.due.first(0, end, w.now, end, time.Time{}, false)
	if !ok {
		if checkDue != nil {
			checkDue(w, end, nil, time.Time{})
		}
		return nil, time.Time{}
	}
	due := w.due.collect(0, first, w.now, end, w.dueBuf[:0])
	slices.SortFunc(due, func(a, b *Conn) int { return cmp.Compare(a.id, b.id) })
	w.dueBuf = due
	if checkDue != nil {
		checkDue(w, end, due, first)
	}
	return due, first
}

// checkDue, if set, checks every answer of nextDue: a test sets it.
var checkDue func(w *World, end time.Time, due []*Conn, first time.Time)

// reschedule puts c where its deadline now puts it among the connections
// due, or takes it out if it has none: after anything that may change the
// deadline, which the Session's calls and the transport's writes do.
func (w *World) reschedule(c *Conn) {
	d := c.deadline()
	switch {
	case d.IsZero():
		if c.dueIndex >= 0 {
			heap.Remove(&w.due, c.dueIndex)
		}
	case c.dueIndex < 0:
		c.dueAt = d
		heap.Push(&w.due, c)
	case !d.Equal(c.dueAt):
		c.dueAt = d
		heap.Fix(&w.due, c.dueIndex)
	}
}

// dueHeap holds the connections with a deadline, the earliest at the root.
type dueHeap []*Conn

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	return h[i].dueAt.Before(h[j].dueAt) || h[i].dueAt.Equal(h[j].dueAt) && h[i].id < h[j].id
}
func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].dueIndex, h[j].dueIndex = i, j
}
func (h *dueHeap) Push(x any) {
	c := x.(*Conn)
	c.dueIndex = len(*h)
	*h = append(*h, c)
}
func (h *dueHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	c.dueIndex = -1
	return c
}

// when returns when c fires, as nextDue counts it at now for a search up
// to end, and whether it does by end: an overdue deadline fires now, one of
// a connection a loop stopped at end, if the clock is to move.
func (c *Conn) when(now, end time.Time) (time.Time, bool) {
	switch d := c.dueAt; {
	case d.After(end):
		return d, false
	case c.stopped():
		return end, end.After(now)
	case d.Before(now):
		return now, true
	default:
		return d, true
	}
}

// first returns the earliest time at which a connection in the subtree at
// i fires by limit, if one does, given the best found so far. A deadline
// after limit cannot fire earlier than limit, nor can those below it.
func (h dueHeap) first(i int, limit, now, end, best time.Time, found bool) (time.Time, bool) {
	if i >= len(h) || h[i].dueAt.After(limit) {
		return best, found
	}
	if t, ok := h[i].when(now, end); ok && (!found || t.Before(best)) {
		best, found, limit = t, true, t
	}
	best, found = h.first(2*i+1, limit, now, end, best, found)
	if found {
		limit = best
	}
	return h.first(2*i+2, limit, now, end, best, found)
}

// collect appends to due the connections in the subtree at i that fire at
// at.
func (h dueHeap) collect(i int, at, now, end time.Time, due []*Conn) []*Conn {
	if i >= len(h) || h[i].dueAt.After(at) {
		return due
	}
	if t, ok := h[i].when(now, end); ok && t.Equal(at) {
		due = append(due, h[i])
	}
	due = h.collect(2*i+1, at, now, end, due)
	return h.collect(2*i+2, at, now, end, due)
}

// Shutdown shuts every open connection down, as a server going away does
// (close 1001), and settles.
func (w *World) Shutdown() {
	for _, c := range w.conns {
		c.Shutdown()
	}
}
