package registry_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/sockkit/sockkit/scenarios"
	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/registry"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sockt"
)

// chatter registers the nickname its request names, joins the room,
// publishes what its client says to the room (text: binary messages are
// not chat), and pushes what it hears.
type chatter struct {
	reg  *registry.Registry
	nick string
}

func (h *chatter) Init(c *sock.Conn) sock.Result {
	if err := h.reg.Register(h.nick, c); err != nil {
		return sock.Close(4001, "nickname taken")
	}
	h.reg.Join("room", c)
	return sock.Continue()
}

func (h *chatter) HandleIn(c *sock.Conn, msg sock.Frame) sock.Result {
	if msg.Op != sock.OpText {
		return sock.Continue()
	}
	switch text := string(msg.Payload); text {
	case "leave":
		h.reg.Leave("room", c)
	case "panic":
		panic("boom")
	default:
		h.reg.Publish("room", said{h.nick, text})
	}
	return sock.Continue()
}

// said is a message to the room; direct, one to a member by name.
type (
	said   struct{ nick, text string }
	direct string
)

// HandleInfo pushes what was said in the room, and direct messages; other
// infos are none of the client's business.
func (h *chatter) HandleInfo(_ *sock.Conn, info any) sock.Result {
	switch m := info.(type) {
	case said:
		return sock.Push(sock.Text(m.nick + ": " + m.text))
	case direct:
		return sock.Push(sock.Text(string(m)))
	}
	return sock.Continue()
}

func newChat(reg *registry.Registry) *sockhttp.Server {
	srv := sockhttp.NewServer(func(r *http.Request) (sockhttp.Accept, error) {
		return sockhttp.Accept{Handler: &chatter{reg: reg, nick: r.URL.Query().Get("nick")}}, nil
	}, &sockhttp.Options{ConnOptions: &sock.Options{InfoQueueSize: 4}})
	srv.WrapHandlers(reg.Track)
	return srv
}

func join(s *sockt.Server, nick string) *sockt.Conn {
	r, _ := http.NewRequest(http.MethodGet, "/?nick="+nick, nil)
	return s.Connect(r)
}

func TestRoomBothWays(t *testing.T) {
	sockt.RunServer(t, func() *sockhttp.Server { return newChat(registry.New(nil)) }, nil, func(t *testing.T, s *sockt.Server) {
		ada, bob := join(s, "ada"), join(s, "bob")
		ada.SendText("hi")
		ada.ExpectText("ada: hi")
		bob.ExpectText("ada: hi")
		bob.SendText("leave")
		bob.Sync() // over loopback, bob has left before ada speaks
		ada.SendText("still there?")
		ada.ExpectText("ada: still there?")
		bob.RefutePush()
		ada.Close(sock.CloseNormal, "")
		ada.ExpectTerminate(sock.ReasonRemote)
		join(s, "ada").ExpectAccepted("") // the name is free again
	})
}

func TestNames(t *testing.T) {
	reg := registry.New(nil)
	s := sockt.NewServer(t, newChat(reg), nil)
	ada := join(s, "ada")
	again := join(s, "ada")
	again.ExpectClose(4001, "nickname taken")
	if reg.Lookup("ada") == nil || reg.Lookup("nobody") != nil {
		t.Fatal("Lookup")
	}
	if err := reg.Send("ada", direct("direct")); err != nil {
		t.Fatal(err)
	}
	s.World().Settle() // sent from outside a callback: the world delivers it when it runs
	ada.ExpectText("direct")
	if err := reg.Send("nobody", "x"); err != registry.ErrNoName {
		t.Errorf("Send to nobody: %v", err)
	}
	ada.SendText("panic") // Terminate still runs: the registry forgets ada
	ada.ExpectTerminate(sock.ReasonError)
	if reg.Lookup("ada") != nil || reg.Members("room") != 0 {
		t.Errorf("after a panic: ada still named (%v), %d members", reg.Lookup("ada"), reg.Members("room"))
	}
}

// One publisher's messages reach each member in the order published, and
// none reaches a member once it has terminated.
func TestPublishOrderAndAfterTerminate(t *testing.T) {
	reg := registry.New(nil)
	s := sockt.NewServer(t, newChat(reg), nil)
	ada, bob := join(s, "ada"), join(s, "bob")
	for i := range 3 {
		ada.SendText(fmt.Sprint(i))
	}
	for i := range 3 {
		bob.ExpectText(fmt.Sprintf("ada: %d", i))
	}
	bob.Close(sock.CloseNormal, "")
	bob.ExpectTerminate(sock.ReasonRemote)
	if p := reg.Publish("room", said{"system", "x"}); p.Queued != 1 || p.Dropped != 0 {
		t.Errorf("after bob ended: %+v, want the one member left", p)
	}
}

// Members that cannot keep up — every info held, queues of 4, 6 messages
// said: the newest are dropped for them by default (2 each, for ada and
// bob), or the oldest from a backlog of 3, or they are closed with 1013.
func TestSlowMembers(t *testing.T) {
	for _, tc := range []struct {
		policy  registry.Policy
		got     []int // the messages bob gets
		dropped uint64
		closed  bool
	}{
		{registry.DropNewest, []int{0, 1, 2, 3}, 4, false},
		{registry.DropOldest(3), []int{3, 4, 5}, 6, false},
		{registry.CloseSlow, nil, 2, true}, // ada, closed at her next callback, never says the sixth
	} {
		t.Run(tc.policy.String(), func(t *testing.T) {
			reg := registry.New(&registry.Options{Policy: tc.policy})
			s := sockt.NewServer(t, newChat(reg), nil)
			ada, bob := join(s, "ada"), join(s, "bob")
			s.World().HoldInfos(true) // bob's infos wait: he is slow
			for i := range 6 {
				ada.SendText(fmt.Sprint(i))
			}
			s.World().HoldInfos(false)
			s.World().DeliverInfos()
			s.World().Settle()
			stats := reg.Stats()
			if stats.Dropped != tc.dropped {
				t.Errorf("stats %+v, want %d dropped", stats, tc.dropped)
			}
			if tc.closed {
				bob.ExpectClose(sock.CloseTryAgainLater, "too slow")
				bob.ExpectTerminate(sock.ReasonNormal)
				if stats.Closed != 2 {
					t.Errorf("stats %+v, want both closed", stats)
				}
				return
			}
			for _, i := range tc.got {
				bob.ExpectText(fmt.Sprintf("ada: %d", i))
			}
			bob.RefutePush()
		})
	}
}

// Joining, leaving, naming and publishing from many goroutines at once.
func TestConcurrentUse(t *testing.T) {
	reg := registry.New(nil)
	w := sim.NewUntraced(1)
	var conns []*sock.Conn
	for range 16 {
		var got *sock.Conn
		w.Connect(reg.Track(initFunc(func(c *sock.Conn) { got = c }), nil), nil)
		conns = append(conns, got)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				c := conns[(g+i)%len(conns)]
				group := fmt.Sprint("g", i%3)
				reg.Join(group, c)
				reg.Register(fmt.Sprint("n", i%5), c)
				reg.Publish(group, i)
				reg.Send(fmt.Sprint("n", i%5), i)
				reg.Leave(group, c)
				reg.Unregister(fmt.Sprint("n", i%5), c)
			}
		})
	}
	wg.Wait()
	w.Settle()
	if n := reg.Members("g0") + reg.Members("g1") + reg.Members("g2"); n != 0 {
		t.Errorf("%d members left after every join was left", n)
	}
}

// initFunc is a handler that hands its connection over at Init.
type initFunc func(c *sock.Conn)

func (f initFunc) Init(c *sock.Conn) sock.Result             { f(c); return sock.Continue() }
func (initFunc) HandleIn(*sock.Conn, sock.Frame) sock.Result { return sock.Continue() }
func (initFunc) HandleInfo(*sock.Conn, any) sock.Result      { return sock.Continue() }

// Fuzzed, the room keeps its promise: nothing reaches a member once it has
// left, infos in flight included (the registry drops them), while several
// members come, talk, leave and go.
func TestRoomLifecycles(t *testing.T) {
	scenarios.Check(t, func() *sockhttp.Server { return newChat(registry.New(nil)) }, &scenarios.Options{
		Connects: []scenarios.Connect{{Target: "/?nick=ada"}, {Target: "/?nick=bob"}, {Target: "/?nick=cy"}},
		Messages: rapid.SampledFrom([]sock.Frame{sock.Text("hello"), sock.Text("leave")}),
		Properties: []scenarios.Property{
			scenarios.NoPushAfter(sockt.Equal(sock.Text("leave"))),
		},
		Sometimes: map[string]func(sim.Event) bool{
			"a member heard another": func(e sim.Event) bool {
				return e.Kind == sim.ServerWrote && e.Frame.Op == sock.OpText && strings.Contains(string(e.Frame.Payload), ": hello")
			},
		},
	})
}
