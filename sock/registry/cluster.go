package registry

// A Cluster links the registries of several nodes (processes serving
// WebSockets), so that a name is held by one connection in the whole
// cluster and what is published to a group reaches its members on every
// node. Give one to [Options].Cluster; package natsregistry implements it
// on NATS. Without one, a registry is on its own.
//
// The registry calls a Cluster's methods without holding its own lock, from
// handlers' callbacks: they must be safe for concurrent use, and only
// Claim and Send may wait on the network.
type Cluster interface {
	// Start is called once, by [New], with the node the cluster delivers
	// what other nodes send to.
	Start(node Node)
	// Claim claims the name for this node: [ErrNameTaken] if another node
	// holds it, or another error if the cluster could not tell.
	Claim(name string) error
	// Release gives up a name this node claimed. It may come while the
	// name's Claim is still under way (an Unregister as Register runs):
	// the cluster then gives the name up once the claim lands.
	Release(name string)
	// Join is called each time a connection on this node joins the group,
	// and Leave each time one leaves it: the cluster sends this node the
	// group's messages while it has members. A Leave may come before its
	// Join, when a connection leaves as it joins.
	Join(group string)
	Leave(group string)
	// Publish sends info to the group's members on the other nodes.
	Publish(group string, info any) error
	// Send sends info to the connection that holds the name on another
	// node: [ErrNoName] if no node holds it.
	Send(name string, info any) error
}

// Node is a registry as its Cluster sees it: what the cluster receives
// from other nodes is delivered to this node's connections through it.
type Node interface {
	// Publish delivers info to the group's members on this node.
	Publish(group string, info any) Published
	// Send delivers info to the connection of this node that holds the
	// name, as [Registry.Send] does.
	Send(name string, info any) error
	// Lost takes the name from the connection of this node that holds it:
	// the cluster gave it to another node (after this one was cut off
	// from the others for too long). The connection's HandleInfo receives
	// [NameLost].
	Lost(name string)
}

// NameLost is the info a connection's HandleInfo receives when its name
// was given to a connection on another node, which can only happen after
// this node was cut off from the cluster for longer than it allows.
type NameLost struct{ Name string }

// node is the Node of a Registry.
type node struct{ r *Registry }

func (n node) Publish(group string, info any) Published { return n.r.publishHere(group, info) }
func (n node) Send(name string, info any) error         { return n.r.sendHere(name, info) }

func (n node) Lost(name string) {
	r := n.r
	r.mu.Lock()
	m := r.names[name]
	if m != nil {
		r.dropName(m, name)
	}
	r.mu.Unlock()
	if m != nil {
		m.conn.SendInfo(NameLost{name}) // an ended connection has nothing to lose
	}
}
