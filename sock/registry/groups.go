package registry

import (
	"maps"
	"slices"

	"github.com/sockkit/sockkit/sock"
)

// Join makes c a member of the group; joining twice does nothing.
func (r *Registry) Join(group string, c *sock.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.memberOf(c)
	if slices.Contains(m.groups, group) {
		return
	}
	m.groups = append(m.groups, group)
	r.joins++
	m.setIn(group, r.joins)
	r.groups[group] = append(slices.Clip(r.groups[group]), m) // a new slice: publishers may be reading the old
}

// Leave takes c out of the group.
func (r *Registry) Leave(group string, c *sock.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.conns[c]
	if m == nil || !slices.Contains(m.groups, group) {
		return
	}
	m.groups = slices.DeleteFunc(m.groups, func(g string) bool { return g == group })
	m.setIn(group, 0)
	if r.groups[group] = without(r.groups[group], m); len(r.groups[group]) == 0 {
		delete(r.groups, group)
	}
}

// setIn records the member's membership of group, 0 for none, in a new
// map: deliveries read the old one unlocked. r.mu is held.
func (m *member) setIn(group string, join uint64) {
	in := map[string]uint64{}
	if old := m.in.Load(); old != nil {
		maps.Copy(in, *old)
	}
	if join == 0 {
		delete(in, group)
	} else {
		in[group] = join
	}
	m.in.Store(&in)
}

// Members returns how many connections are in the group.
func (r *Registry) Members(group string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.groups[group])
}

// Names returns the names of the group's members, in the order they
// joined: each member's first name; members without one are left out.
func (r *Registry) Names(group string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var names []string
	for _, m := range r.groups[group] {
		if len(m.names) > 0 {
			names = append(names, m.names[0])
		}
	}
	return names
}

// Published says what became of a message published to a group.
type Published struct {
	Queued  int // put in members' queues (or backlogs), to be handed to HandleInfo
	Dropped int // refused by a member's full queue (its Policy applied), or by one that has ended
}

// Publish sends info to every member of the group, in the order they
// joined: each member's HandleInfo receives it, unless the member has left
// the group by then — an info already queued when a member leaves is not
// handed to it, even if it has joined again. It never blocks and holds no lock while sending: a member
// whose queue is full does not hold the others up — its Policy applies.
// Members must be served by a tracked server ([Registry.Track]), which
// hands HandleInfo the info itself.
func (r *Registry) Publish(group string, info any) Published {
	r.mu.Lock()
	members := r.groups[group]
	r.mu.Unlock()
	var p Published
	for _, m := range members {
		in := m.in.Load()
		if in == nil {
			continue // forgotten since
		}
		if r.deliver(m, published{m, group, (*in)[group], info}) == nil {
			p.Queued++
		} else {
			p.Dropped++
		}
	}
	return p
}
