package registry

import (
	"maps"
	"slices"

	"github.com/sockkit/sockkit/sock"
)

// Join makes c a member of the group; joining twice does nothing.
func (r *Registry) Join(group string, c *sock.Conn) {
	r.mu.Lock()
	m := r.memberOf(c)
	if slices.Contains(m.groups, group) {
		r.mu.Unlock()
		return
	}
	m.groups = append(m.groups, group)
	r.joins++
	m.setIn(group, r.joins)
	r.groups[group] = append(slices.Clip(r.groups[group]), m) // a new slice: publishers may be reading the old
	r.mu.Unlock()
	if r.cluster != nil {
		r.cluster.Join(group)
	}
}

// Leave takes c out of the group.
func (r *Registry) Leave(group string, c *sock.Conn) {
	r.mu.Lock()
	m := r.conns[c]
	if m == nil || !slices.Contains(m.groups, group) {
		r.mu.Unlock()
		return
	}
	m.groups = slices.DeleteFunc(m.groups, func(g string) bool { return g == group })
	m.setIn(group, 0)
	if r.groups[group] = without(r.groups[group], m); len(r.groups[group]) == 0 {
		delete(r.groups, group)
	}
	r.mu.Unlock()
	if r.cluster != nil {
		r.cluster.Leave(group)
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

// Members returns how many connections of this node are in the group.
func (r *Registry) Members(group string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.groups[group])
}

// Names returns the names of the group's members on this node, in the
// order they joined: each member's first name; members without one are
// left out.
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

// Published says what became of a message published to a group on this
// node, and whether it could be sent to the other nodes of a [Cluster].
type Published struct {
	Queued  int   // put in members' queues (or backlogs), to be handed to HandleInfo
	Dropped int   // refused by a member's full queue (its Policy applied), or by one that has ended
	Err     error // why the cluster could not send it to the other nodes, if it could not
}

// Publish sends info to every member of the group, in the order they
// joined: each member's HandleInfo receives it, unless the member has left
// the group by then — an info already queued when a member leaves is not
// handed to it, even if it has joined again. It never blocks and holds no lock while sending: a member
// whose queue is full does not hold the others up — its Policy applies.
// Members must be served by a tracked server ([Registry.Track]), which
// hands HandleInfo the info itself. With a [Cluster], info is sent to the
// other nodes too, after this node's members have it.
func (r *Registry) Publish(group string, info any) Published {
	p := r.publishHere(group, info)
	if r.cluster != nil {
		p.Err = r.cluster.Publish(group, info)
	}
	return p
}

// publishHere delivers info to the group's members on this node.
func (r *Registry) publishHere(group string, info any) Published {
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
