package registry

import (
	"slices"

	"github.com/sockkit/sockkit/sock"
)

// Register gives c the name, unless another connection holds it
// ([ErrNameTaken]): the first keeps a name until it unregisters it or
// terminates. Registering a name c holds already does nothing.
func (r *Registry) Register(name string, c *sock.Conn) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if holder := r.names[name]; holder != nil {
		if holder.conn == c {
			return nil
		}
		return ErrNameTaken
	}
	m := r.memberOf(c)
	m.names = append(m.names, name)
	r.names[name] = m
	return nil
}

// Unregister takes the name from c, if c holds it.
func (r *Registry) Unregister(name string, c *sock.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := r.names[name]; m != nil && m.conn == c {
		delete(r.names, name)
		m.names = slices.DeleteFunc(m.names, func(n string) bool { return n == name })
	}
}

// Lookup returns the connection that holds the name, or nil.
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
// [ErrNoName].
func (r *Registry) Send(name string, info any) error {
	r.mu.Lock()
	m := r.names[name]
	r.mu.Unlock()
	if m == nil {
		return ErrNoName
	}
	return r.deliver(m, info)
}
