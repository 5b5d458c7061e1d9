package registry_test

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/registry"
)

// hub is a cluster in memory: the registries of its nodes, linked directly.
type hub struct {
	mu    sync.Mutex
	nodes []*hubNode
	names map[string]*hubNode
	down  error // what claims fail with, if not nil
}

// hubNode is one node's Cluster.
type hubNode struct {
	hub   *hub
	node  registry.Node
	joins map[string]int // Joins less Leaves, by group
}

func (h *hub) add() *registry.Registry {
	n := &hubNode{hub: h, joins: map[string]int{}}
	h.mu.Lock()
	h.nodes = append(h.nodes, n)
	h.mu.Unlock()
	return registry.New(&registry.Options{Cluster: n})
}

func (n *hubNode) Start(node registry.Node) { n.node = node }

func (n *hubNode) Claim(name string) error {
	n.hub.mu.Lock()
	defer n.hub.mu.Unlock()
	if n.hub.down != nil {
		return n.hub.down
	}
	if holder := n.hub.names[name]; holder != nil && holder != n {
		return registry.ErrNameTaken
	}
	n.hub.names[name] = n
	return nil
}

func (n *hubNode) Release(name string) {
	n.hub.mu.Lock()
	defer n.hub.mu.Unlock()
	if n.hub.names[name] == n {
		delete(n.hub.names, name)
	}
}

func (n *hubNode) Join(group string)  { n.count(group, +1) }
func (n *hubNode) Leave(group string) { n.count(group, -1) }

func (n *hubNode) count(group string, d int) {
	n.hub.mu.Lock()
	defer n.hub.mu.Unlock()
	n.joins[group] += d
}

func (n *hubNode) Publish(group string, info any) error {
	n.hub.mu.Lock()
	var to []registry.Node
	for _, o := range n.hub.nodes {
		if o != n && o.joins[group] > 0 {
			to = append(to, o.node)
		}
	}
	n.hub.mu.Unlock()
	for _, node := range to {
		node.Publish(group, info)
	}
	return nil
}

func (n *hubNode) Send(name string, info any) error {
	n.hub.mu.Lock()
	holder := n.hub.names[name]
	n.hub.mu.Unlock()
	if holder == nil || holder == n {
		return registry.ErrNoName
	}
	return holder.node.Send(name, info)
}

func newHub() *hub { return &hub{names: map[string]*hubNode{}} }

// Two registries of a cluster: a group reaches its members on both, a name
// is held once, Send reaches the node that holds it.
func TestClusterLinksRegistries(t *testing.T) {
	h := newHub()
	a, b := h.add(), h.add()
	w := sim.NewUntraced(1)
	ada, pa := connect(w, a, nil, func(c *sock.Conn) { a.Join("g", c) })
	bob, pb := connect(w, b, nil, func(c *sock.Conn) { b.Join("g", c) })
	if err := a.Register("ada", pa.conn); err != nil {
		t.Fatal(err)
	}
	if err := b.Register("ada", pb.conn); !errors.Is(err, registry.ErrNameTaken) {
		t.Errorf("ada registered on both nodes: %v", err)
	}
	if b.Lookup("ada") != nil {
		t.Error("the name refused by the cluster is held on node b")
	}
	ada.SendText("pub g hello")
	if err := b.Send("ada", "direct"); err != nil {
		t.Errorf("Send from node b to ada on node a: %v", err)
	}
	w.Settle()
	if got := texts(bob); !slices.Equal(got, []string{"hello"}) {
		t.Errorf("bob on node b got %q", got)
	}
	if got := texts(ada); !slices.Equal(got, []string{"hello", "direct"}) {
		t.Errorf("ada on node a got %q", got)
	}
}

// A node's joins and leaves balance once its members are gone, however
// they went: leaving, closing, or a panic.
func TestClusterJoinsAndLeavesBalance(t *testing.T) {
	h := newHub()
	a := h.add()
	w := sim.NewUntraced(1)
	c1, _ := connect(w, a, nil, nil)
	c2, _ := connect(w, a, nil, nil)
	c3, _ := connect(w, a, nil, nil)
	for _, c := range []*sim.Conn{c1, c2, c3} {
		c.SendText("join g")
		c.SendText("join h")
	}
	c1.SendText("leave g")
	c1.SendText("join g")
	c1.Close(sock.CloseNormal, "")
	c2.Drop()
	c3.SendText("leave h")
	c3.SendText("pub") // a panic: too few fields
	w.Settle()
	if node := h.nodes[0]; node.joins["g"] != 0 || node.joins["h"] != 0 {
		t.Errorf("joins less leaves after every member ended: %v", node.joins)
	}
}

// A claim the cluster cannot answer fails Register, and leaves the name
// free on the node.
func TestClusterClaimFails(t *testing.T) {
	h := newHub()
	a := h.add()
	w := sim.NewUntraced(1)
	_, p := connect(w, a, nil, nil)
	h.down = errors.New("cut off")
	if err := a.Register("ada", p.conn); err != h.down {
		t.Errorf("Register while the cluster is down: %v, want the cluster's error", err)
	}
	if a.Lookup("ada") != nil {
		t.Error("a name the cluster did not grant is held")
	}
	h.down = nil
	if err := a.Register("ada", p.conn); err != nil {
		t.Errorf("Register once the cluster is back: %v", err)
	}
}

// A name the cluster gave to another node is taken from its connection,
// which is told.
func TestClusterNameLost(t *testing.T) {
	h := newHub()
	a := h.add()
	w := sim.NewUntraced(1)
	ada, p := connect(w, a, nil, nil)
	a.Register("ada", p.conn)
	h.nodes[0].node.Lost("ada")
	w.Settle()
	if a.Lookup("ada") != nil {
		t.Error("node a still holds the name it lost")
	}
	if got := texts(ada); !slices.Equal(got, []string{"{ada}"}) {
		t.Errorf("ada got %q, want the NameLost info", got)
	}
}
