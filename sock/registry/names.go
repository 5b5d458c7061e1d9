package registry

import (
	"slices"

	"github.com/sockkit/sockkit/sock"
)

// Register gives c the name, unless another connection holds it
// ([ErrNameTaken]): the first keeps a name until it unregisters it or
// terminates. Registering a name c holds already does nothing. With a
// [Cluster], the name is claimed across the cluster, which may wait on the
// network, and any error the cluster returns is returned.
func (r *Registry) Register(name string, c *sock.Conn) error {
	r.mu.Lock()
	if holder := r.names[name]; holder != nil {
		r.mu.Unlock()
		if holder.conn == c {
			return nil
		}
		return ErrNameTaken
	}
	m := r.memberOf(c)
	m.names = append(m.names, name)
	r.names[name] = m // held here while the cluster is asked
	r.mu.Unlock()
	if r.cluster == nil {
		return nil
	}
	err := r.cluster.Claim(name)
	if err != nil {
		r.mu.Lock()
		if r.names[name] == m {
			r.dropName(m, name)
		}
		r.mu.Unlock()
	}
	return err
}

// Unregister takes the name from c, if c holds it.
func (r *Registry) Unregister(name string, c *sock.Conn) {
	r.mu.Lock()
	m := r.names[name]
	held := m != nil && m.conn == c
	if held {
		r.dropName(m, name)
	}
	r.mu.Unlock()
	if held && r.cluster != nil {
		r.cluster.Release(name)
	}
}

// dropName takes the name from m; r.mu is held.
func (r *Registry) dropName(m *member, name string) {
	delete(r.names, name)
	m.names = slices.DeleteFunc(m.names, func(n string) bool { return n == name })
}

// Lookup returns the connection of this node that holds the name, or nil.
func (r *Registry) Lookup(name string) *sock.Conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := r.names[name]; m != nil {
		return m.conn
	}
	return nil
}

// Send sends info to the connection that holds the name: its HandleInfo
// receives it. It never blocks: if the connection's queue is full, the
// connection's Policy applies and Send returns [sock.ErrInfoQueueFull]; if
// the connection has ended, [sock.ErrClosed]; with no such name,
// [ErrNoName]. With a [Cluster], a name no connection of this node holds is
// sent to the node that holds it, and Send returns what the cluster does
// (which may wait on the network to find that node).
func (r *Registry) Send(name string, info any) error {
	err := r.sendHere(name, info)
	if err == ErrNoName && r.cluster != nil {
		return r.cluster.Send(name, info)
	}
	return err
}

// sendHere sends info to the connection of this node that holds the name.
func (r *Registry) sendHere(name string, info any) error {
	r.mu.Lock()
	m := r.names[name]
	r.mu.Unlock()
	if m == nil {
		return ErrNoName
	}
	return r.deliver(m, info)
}
