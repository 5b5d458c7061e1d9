package registry

import (
	"errors"
	"net/http"
	"slices"
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
// usable: call [New].
type Registry struct {
	opts Options

	mu     sync.Mutex
	names  map[string]*member
	groups map[string][]*member // in the order joined; replaced, never changed, so that publishing reads it unlocked
	conns  map[*sock.Conn]*member

	delivered, dropped, closed atomic.Uint64
	slow                       atomic.Int64 // members marked to close, so that callbacks look for theirs only then
}

// Options configures a Registry. A nil *Options means all defaults.
type Options struct {
	// Policy is what happens to a member whose queue of infos is full when
	// something is sent to it, unless [Registry.SetPolicy] says otherwise.
	// Default DropNewest.
	Policy Policy
}

// New returns an empty Registry.
func New(opts *Options) *Registry {
	r := &Registry{names: map[string]*member{}, groups: map[string][]*member{}, conns: map[*sock.Conn]*member{}}
	if opts != nil {
		r.opts = *opts
	}
	return r
}

// member is what the registry knows of a connection.
type member struct {
	conn   *sock.Conn
	names  []string
	groups []string
	// in is groups for readers without the lock: replaced on every join
	// and leave, so that a delivery can tell whether its member is still
	// in the group it was published to.
	in     atomic.Pointer[[]string]
	policy Policy
	// slow is set when the member's policy closes it: its next callback
	// closes the connection.
	slow atomic.Bool

	// The backlog of a member whose Policy keeps one.
	boxMu  sync.Mutex
	box    []any
	waking bool // a wake is in the member's queue
}

// wake tells a tracked handler that its member's backlog holds messages.
type wake struct{ m *member }

// memberOf returns c's member, made if need be; r.mu is held.
func (r *Registry) memberOf(c *sock.Conn) *member {
	m := r.conns[c]
	if m == nil {
		m = &member{conn: c, policy: r.opts.Policy}
		r.conns[c] = m
	}
	return m
}

// forget removes c from every name and group.
func (r *Registry) forget(c *sock.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.conns[c]
	if m == nil {
		return
	}
	delete(r.conns, c)
	if m.slow.Load() {
		r.slow.Add(-1)
	}
	for _, name := range m.names {
		delete(r.names, name)
	}
	for _, g := range m.groups {
		r.groups[g] = without(r.groups[g], m)
		if len(r.groups[g]) == 0 {
			delete(r.groups, g)
		}
	}
	m.groups = nil
	m.in.Store(nil)
}

// published is what Publish queues: the info, and the group it was
// published to, so that a member that left the group meanwhile does not get
// it.
type published struct {
	m     *member
	group string
	info  any
}

// stillIn reports whether the member is in the group.
func (m *member) stillIn(group string) bool {
	in := m.in.Load()
	return in != nil && slices.Contains(*in, group)
}

// Track wraps h so that the registry forgets its connection once it
// terminates, and carries out the connection's Policy; give it to
// sockhttp.Server.WrapHandlers. The wrapper behaves as h does otherwise.
func (r *Registry) Track(h sock.Handler, _ *http.Request) sock.Handler {
	return newTracked(r, h)
}

// Stats counts what was sent through the registry.
type Stats struct {
	Delivered uint64 // infos queued to their connection
	Dropped   uint64 // infos a full queue refused
	Closed    uint64 // members closed by their Policy for being too slow
}

// Stats returns the counts so far.
func (r *Registry) Stats() Stats {
	return Stats{Delivered: r.delivered.Load(), Dropped: r.dropped.Load(), Closed: r.closed.Load()}
}

// deliver sends info to m as its policy says, and reports whether it was
// queued.
func (r *Registry) deliver(m *member, info any) bool {
	if m.policy.Backlog > 0 {
		return r.backlog(m, info)
	}
	err := m.conn.SendInfo(info)
	switch {
	case err == nil:
		r.delivered.Add(1)
		return true
	case errors.Is(err, sock.ErrInfoQueueFull):
		r.dropped.Add(1)
		if m.policy.closes() && m.slow.CompareAndSwap(false, true) {
			r.slow.Add(1)
			r.closed.Add(1)
		}
	case errors.Is(err, sock.ErrClosed):
		r.forget(m.conn) // untracked, or terminating: not a member any more
	}
	return false
}

// backlog puts info in m's backlog, waking m if it was not waiting yet.
func (r *Registry) backlog(m *member, info any) bool {
	m.boxMu.Lock()
	full := len(m.box) == m.policy.Backlog
	switch {
	case full && m.policy.closes():
		m.boxMu.Unlock()
		r.dropped.Add(1)
		if m.slow.CompareAndSwap(false, true) {
			r.slow.Add(1)
			r.closed.Add(1)
		}
		return false
	case full: // the oldest makes room
		m.box = append(m.box[:0], m.box[1:]...)
		r.dropped.Add(1)
	}
	m.box = append(m.box, info)
	wakeNow := !m.waking
	m.waking = true
	m.boxMu.Unlock()
	r.delivered.Add(1)
	if wakeNow {
		r.wake(m)
	}
	return true
}

// wake queues a wake for m; if its queue is full of other infos, the next
// message tries again.
func (r *Registry) wake(m *member) {
	if err := m.conn.SendInfo(wake{m}); err != nil {
		m.boxMu.Lock()
		m.waking = false
		m.boxMu.Unlock()
		if errors.Is(err, sock.ErrClosed) {
			r.forget(m.conn)
		}
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
