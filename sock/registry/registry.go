package registry

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/sockkit/sockkit/sock"
)

// Errors of names.
var (
	// ErrNameTaken is returned by [Registry.Register] for a name another
	// connection holds: the first to register a name keeps it until it
	// unregisters it or terminates.
	ErrNameTaken = errors.New("registry: name taken")
	// ErrNoName is returned by [Registry.Send] for a name no connection
	// holds.
	ErrNoName = errors.New("registry: no connection has that name")
)

// Registry holds names and groups of connections. The zero value is not
// usable: call [New]. Connections must be served by a server whose
// handlers [Registry.Track] wraps: that is how the registry forgets them
// when they end and carries out their [Policy].
type Registry struct {
	opts    Options
	cluster Cluster // nil on its own

	mu     sync.Mutex
	names  map[string]*member
	groups map[string][]*member // in the order joined; replaced, never changed, so that publishing reads it unlocked
	conns  map[*sock.Conn]*member
	joins  uint64 // numbers each membership, so that a rejoin is a new one

	queued, dropped, closed atomic.Uint64
}

// Options configures a Registry. A nil *Options means all defaults.
type Options struct {
	// Policy is what happens to a member that cannot keep up, unless
	// [Registry.SetPolicy] says otherwise. Default DropNewest.
	Policy Policy
	// Cluster, if set, links the registry to the registries of other
	// nodes: names are held across them, and groups reach their members
	// on every node. Default none: the registry is on its own.
	Cluster Cluster
}

// New returns an empty Registry. It panics if the Policy of opts is not a
// valid one, as a mistake in the program.
func New(opts *Options) *Registry {
	r := &Registry{names: map[string]*member{}, groups: map[string][]*member{}, conns: map[*sock.Conn]*member{}}
	if opts != nil {
		r.opts = *opts
	}
	r.opts.Policy.check()
	if r.cluster = r.opts.Cluster; r.cluster != nil {
		r.cluster.Start(node{r})
	}
	return r
}

// member is what the registry knows of a connection.
type member struct {
	conn    *sock.Conn
	tracked bool // served through Track: forgotten after Terminate, not before
	names   []string
	groups  []string
	// in maps each group to the number of the member's current
	// membership, for readers without the lock: a delivery is for the
	// membership it was published to, not a later one.
	in     atomic.Pointer[map[string]uint64]
	policy atomic.Pointer[Policy]
	// slow is set when the member's policy closes it: its next callback
	// closes the connection.
	slow atomic.Bool

	// The backlog of a member whose Policy keeps one.
	boxMu    sync.Mutex
	box      []any
	waking   bool // a wake is in the member's queue
	needWake bool // a wake was refused by a full queue: the next callback sends it
}

// wake tells a tracked handler that its member's backlog holds messages.
type wake struct{ m *member }

// memberOf returns c's member, made if need be; r.mu is held.
func (r *Registry) memberOf(c *sock.Conn) *member {
	m := r.conns[c]
	if m == nil {
		m = &member{conn: c}
		p := r.opts.Policy
		m.policy.Store(&p)
		r.conns[c] = m
	}
	return m
}

// forget removes c from every name and group.
func (r *Registry) forget(c *sock.Conn) {
	r.mu.Lock()
	m := r.conns[c]
	if m == nil {
		r.mu.Unlock()
		return
	}
	delete(r.conns, c)
	for _, name := range m.names {
		delete(r.names, name)
	}
	for _, g := range m.groups {
		r.groups[g] = without(r.groups[g], m)
		if len(r.groups[g]) == 0 {
			delete(r.groups, g)
		}
	}
	names, groups := m.names, m.groups
	m.names, m.groups = nil, nil
	m.in.Store(nil)
	r.mu.Unlock()
	if r.cluster != nil {
		for _, name := range names {
			r.cluster.Release(name)
		}
		for _, g := range groups {
			r.cluster.Leave(g)
		}
	}
}

// published is what Publish queues: the info, and the membership it was
// published to, so that a member that left the group meanwhile — even to
// join it again — does not get it.
type published struct {
	m     *member
	group string
	join  uint64
	info  any
}

// current reports whether the member is still in the membership p was
// published to.
func (p published) current() bool {
	in := p.m.in.Load()
	return in != nil && (*in)[p.group] == p.join
}

// Track wraps h so that the registry forgets its connection once it
// terminates, and carries out the connection's Policy; give it to
// sockhttp.Server.WrapHandlers. The wrapper behaves as h does otherwise.
func (r *Registry) Track(h sock.Handler, _ *http.Request) sock.Handler {
	return newTracked(r, h)
}

// Stats counts what was sent through the registry.
type Stats struct {
	Queued  uint64 // infos put in a member's queue or backlog
	Dropped uint64 // infos refused by a full queue, or pushed out of a full backlog
	Closed  uint64 // members closed by their Policy for being too slow
}

// Stats returns the counts so far.
func (r *Registry) Stats() Stats {
	return Stats{Queued: r.queued.Load(), Dropped: r.dropped.Load(), Closed: r.closed.Load()}
}

// deliver sends info to m as its policy says: nil if it was queued, or why
// not.
func (r *Registry) deliver(m *member, info any) error {
	p := m.policy.Load()
	if p.Backlog > 0 {
		return r.backlog(m, p, info)
	}
	err := m.conn.SendInfo(info)
	switch {
	case err == nil:
		r.queued.Add(1)
	case errors.Is(err, sock.ErrInfoQueueFull):
		r.dropped.Add(1)
		if p.closes() {
			m.slow.Store(true)
		}
	case errors.Is(err, sock.ErrClosed) && !m.tracked:
		r.forget(m.conn) // Track forgets the others, after their Terminate
	}
	return err
}

// backlog puts info in m's backlog, waking m if it was not waiting yet.
func (r *Registry) backlog(m *member, p *Policy, info any) error {
	m.boxMu.Lock()
	if len(m.box) >= p.Backlog && p.closes() {
		m.boxMu.Unlock()
		r.dropped.Add(1)
		m.slow.Store(true)
		return sock.ErrInfoQueueFull
	}
	for len(m.box) >= p.Backlog { // the oldest make room
		m.box[0] = nil
		m.box = m.box[1:]
		r.dropped.Add(1)
	}
	m.box = append(m.box, info)
	wakeNow := !m.waking
	m.waking = true
	m.boxMu.Unlock()
	r.queued.Add(1)
	if wakeNow {
		r.wake(m)
	}
	return nil
}

// wake queues a wake for m. If m's queue is full of other infos, its next
// callback, which a full queue makes sure of, sends it.
func (r *Registry) wake(m *member) {
	err := m.conn.SendInfo(wake{m})
	if err == nil {
		return
	}
	m.boxMu.Lock()
	m.needWake = errors.Is(err, sock.ErrInfoQueueFull)
	m.boxMu.Unlock()
	if errors.Is(err, sock.ErrClosed) && !m.tracked {
		r.forget(m.conn)
	}
}

// rewake sends the wake a full queue refused, if one was.
func (r *Registry) rewake(m *member) {
	m.boxMu.Lock()
	again := m.needWake
	m.needWake = false
	m.boxMu.Unlock()
	if again {
		r.wake(m)
	}
}

// next takes the oldest message of m's backlog, waking m again if more
// wait.
func (r *Registry) next(m *member) (any, bool) {
	m.boxMu.Lock()
	if len(m.box) == 0 {
		m.waking = false
		m.boxMu.Unlock()
		return nil, false
	}
	info := m.box[0]
	m.box[0] = nil
	m.box = m.box[1:]
	more := len(m.box) > 0
	if !more {
		m.waking = false
	}
	m.boxMu.Unlock()
	if more {
		r.wake(m)
	}
	return info, true
}

// without returns list without m, in a new slice.
func without(list []*member, m *member) []*member {
	out := make([]*member, 0, len(list))
	for _, x := range list {
		if x != m {
			out = append(out, x)
		}
	}
	return out
}
