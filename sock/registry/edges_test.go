package registry_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/registry"
)

// probe does what its client says — "join G", "leave G", "pub G MSG" —
// and pushes every info it gets as text.
type probe struct {
	reg  *registry.Registry
	conn *sock.Conn
	init func(c *sock.Conn)
}

func (p *probe) Init(c *sock.Conn) sock.Result {
	p.conn = c
	if p.init != nil {
		p.init(c)
	}
	return sock.Continue()
}

func (p *probe) HandleIn(c *sock.Conn, msg sock.Frame) sock.Result {
	f := strings.SplitN(string(msg.Payload), " ", 3)
	switch f[0] {
	case "join":
		p.reg.Join(f[1], c)
	case "leave":
		p.reg.Leave(f[1], c)
	case "pub":
		p.reg.Publish(f[1], f[2])
	}
	return sock.Continue()
}

func (p *probe) HandleInfo(_ *sock.Conn, info any) sock.Result {
	return sock.Push(sock.Text(fmt.Sprint(info)))
}

func texts(c *sim.Conn) []string {
	var out []string
	for {
		f, ok := c.Read()
		if !ok {
			return out
		}
		if f.Op == sock.OpText {
			out = append(out, string(f.Payload))
		}
	}
}

func connect(w *sim.World, reg *registry.Registry, opts *sock.Options, init func(*sock.Conn)) (*sim.Conn, *probe) {
	p := &probe{reg: reg, init: init}
	return w.Connect(reg.Track(p, nil), opts), p
}

// A message in flight when a member leaves does not reach it, even if it
// joins again before the message is handed over.
func TestNoOldMessageAfterRejoin(t *testing.T) {
	reg := registry.New(nil)
	w := sim.NewUntraced(1)
	ada, _ := connect(w, reg, nil, nil)
	bob, _ := connect(w, reg, nil, nil)
	ada.SendText("join g")
	bob.SendText("join g")
	w.HoldInfos(true)
	bob.SendText("pub g old")
	ada.SendText("leave g")
	ada.SendText("join g")
	w.HoldInfos(false)
	w.DeliverInfos()
	w.Settle()
	if got := texts(ada); len(got) != 0 {
		t.Errorf("ada left g after 'old' was published and rejoined: got %q", got)
	}
}

// A backlog's wake refused by a full queue is sent at the member's next
// callback: the message is not stranded.
func TestBacklogWakeAfterFullQueue(t *testing.T) {
	reg := registry.New(&registry.Options{Policy: registry.DropOldest(8)})
	w := sim.NewUntraced(1)
	var conn *sock.Conn
	ada, _ := connect(w, reg, &sock.Options{InfoQueueSize: 1}, func(c *sock.Conn) { conn = c; reg.Join("g", c) })
	w.HoldInfos(true)
	if err := conn.SendInfo("app"); err != nil { // the application's own info
		t.Fatal(err)
	}
	p := reg.Publish("g", "news")
	w.HoldInfos(false)
	w.DeliverInfos()
	w.Settle()
	got := texts(ada)
	t.Logf("Publish said %+v, stats %+v, ada got %q", p, reg.Stats(), got)
	if len(got) != 2 {
		t.Errorf("'news' reported delivered, never reaches ada: got %q", got)
	}
}

// A backlog made smaller is trimmed at the next message.
func TestBacklogShrinks(t *testing.T) {
	reg := registry.New(nil)
	w := sim.NewUntraced(1)
	ada, _ := connect(w, reg, nil, func(c *sock.Conn) { reg.SetPolicy(c, registry.DropOldest(5)); reg.Join("g", c) })
	w.HoldInfos(true)
	for i := range 5 {
		reg.Publish("g", i)
	}
	reg.SetPolicy(ada.Session().Conn(), registry.DropOldest(2))
	for i := range 100 {
		reg.Publish("g", 5+i)
	}
	w.HoldInfos(false)
	w.DeliverInfos()
	w.Settle()
	if got := texts(ada); len(got) > 5 {
		t.Errorf("backlog of 2 handed over %d messages; stats %+v", len(got), reg.Stats())
	}
}

// Send to a connection that has ended says so.
func TestSendToEnded(t *testing.T) {
	reg := registry.New(nil)
	w := sim.NewUntraced(1)
	var conn *sock.Conn
	c := w.Connect(initFunc(func(c *sock.Conn) { conn = c }), nil) // not tracked
	reg.Register("ada", conn)
	c.Close(sock.CloseNormal, "")
	w.Settle()
	err := reg.Send("ada", "x")
	if !errors.Is(err, sock.ErrClosed) && !errors.Is(err, registry.ErrNoName) {
		t.Errorf("Send to a terminated connection: %v", err)
	}
}
