package sim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
)

// ticking sets a timer at Init and pushes every info, from a timer or not.
type ticking struct{ shouter }

func (ticking) Init(c *sock.Conn) sock.Result {
	c.After(time.Second, "tick")
	return sock.Continue()
}

// handled returns the infos HandleInfo received, in order.
func handled(w *sim.World) []string {
	var got []string
	for _, l := range lines(w, "call HandleInfo") {
		got = append(got, l[strings.LastIndex(l, " ")+1:])
	}
	return got
}

// With infos held, each window in which Serve may still have an info queued
// can be reached.
func TestHeldInfosReachEveryWindow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		act    func(w *sim.World, c *sim.Conn)
		want   []string // infos handled, in order
		reason sock.ReasonKind
	}{
		{"a shutdown starts", func(w *sim.World, c *sim.Conn) {
			c.SendInfo("mail")
			c.Shutdown()
		}, nil, sock.ReasonShutdown},
		{"the peer's close frame arrives", func(w *sim.World, c *sim.Conn) {
			c.SendInfo("mail")
			c.Close(sock.CloseNormal, "")
		}, nil, sock.ReasonRemote},
		{"a timer fires", func(w *sim.World, c *sim.Conn) {
			c.SendInfo("mail")
			w.Advance(time.Second)
			w.DeliverInfos()
		}, []string{"tick", "mail"}, 0},
		{"a write is blocked", func(w *sim.World, c *sim.Conn) {
			c.StopReading()
			c.SetBufferSize(10)
			c.SendText(strings.Repeat("x", 100)) // the echo blocks the server's loop
			c.SendInfo("mail")
			c.Shutdown() // waits for the write
			c.ResumeReading()
		}, nil, sock.ReasonShutdown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := sim.New(1)
			w.HoldInfos(true)
			c := w.Connect(ticking{}, nil)
			tc.act(w, c)
			if diff := cmp.Diff(tc.want, handled(w)); diff != "" {
				t.Errorf("infos handled (-want +got):\n%s\n%s", diff, w.Trace())
			}
			if c.Reason().Kind != tc.reason {
				t.Errorf("Reason() = %v, want kind %v", c.Reason(), tc.reason)
			}
		})
	}
}

// By default the same steps deliver the info first, as tests expect.
func TestInfosSettleByDefault(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(ticking{}, nil)
	c.SendInfo("mail")
	c.Shutdown()
	if diff := cmp.Diff([]string{"mail"}, handled(w)); diff != "" {
		t.Errorf("infos handled (-want +got):\n%s", diff)
	}
}

// Held infos are delivered in an order the seed decides: the same seed
// repeats it, other seeds find others.
func TestHeldInfosFollowTheSeed(t *testing.T) {
	run := func(seed uint64) string {
		w := sim.New(seed)
		w.HoldInfos(true)
		conns := []*sim.Conn{w.Connect(shouter{}, nil), w.Connect(shouter{}, nil), w.Connect(shouter{}, nil)}
		for i, c := range conns {
			c.SendInfo(strings.Repeat("x", i+1))
		}
		for w.DeliverInfos() {
		}
		return w.Trace().String()
	}
	orders := map[string]bool{}
	for seed := uint64(1); seed <= 10; seed++ {
		a, b := run(seed), run(seed)
		if a != b {
			t.Fatalf("seed %d: two runs differ (-first +second):\n%s", seed, cmp.Diff(a, b))
		}
		orders[a] = true
	}
	if len(orders) < 2 {
		t.Errorf("10 seeds gave %d delivery orders, want several", len(orders))
	}
}

// Letting go of held infos delivers what waits.
func TestHoldInfosFalseDelivers(t *testing.T) {
	w := sim.New(1)
	w.HoldInfos(true)
	c := w.Connect(shouter{}, nil)
	c.SendInfo("mail")
	if got := handled(w); len(got) != 0 {
		t.Fatalf("a held info was handled: %q", got)
	}
	w.HoldInfos(false)
	if diff := cmp.Diff([]string{"mail"}, handled(w)); diff != "" {
		t.Errorf("infos handled (-want +got):\n%s", diff)
	}
}

// Draining held infos ends even for a handler that sends itself infos: a
// run of DeliverInfos is one step, and the loop is caught.
func TestDrainingHeldInfosEnds(t *testing.T) {
	w := sim.New(1)
	w.HoldInfos(true)
	h := &selfish{}
	c := w.Connect(h, nil)
	c.SendText("start")
	rounds := 0
	for w.DeliverInfos() {
		rounds++
	}
	if rounds > 1000 || len(lines(w, "bug loop")) != 1 {
		t.Errorf("%d rounds of DeliverInfos, bug lines %q; want at most 1000 and one bug", rounds, lines(w, "bug loop"))
	}
}

// A connection that terminated has no infos to deliver.
func TestDeliverInfosSkipsTerminated(t *testing.T) {
	w := sim.New(1)
	w.HoldInfos(true)
	c := w.Connect(shouter{}, nil)
	c.SendInfo("lost")
	c.Shutdown()
	if w.DeliverInfos() {
		t.Error("DeliverInfos reported a delivery to a terminated connection")
	}
}

// pinger answers every pong with a ping: with a client that answers every
// ping, a loop.
type pinger struct{}

func (pinger) HandleIn(*sock.Conn, sock.Frame) sock.Result {
	return sock.Push(sock.Frame{Op: sock.OpPing})
}
func (pinger) HandleControl(_ *sock.Conn, f sock.Frame) sock.Result {
	if f.Op == sock.OpPong {
		return sock.Push(sock.Frame{Op: sock.OpPing})
	}
	return sock.Continue()
}

func TestPingPongLoopIsBounded(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(pinger{}, &sock.Options{IdleTimeout: time.Second})
	c.SendText("go")
	if got := lines(w, "bug loop"); len(got) != 1 {
		t.Fatalf("trace lines about the loop: %q", got)
	}
	if n := len(lines(w, "client pong")); n > 1000 {
		t.Errorf("the peer answered %d pings in one step, want at most 1000", n)
	}
}

// Infos a loop left waiting are delivered once the clock moves.
func TestInfosStoppedByALoopRunOnceTheClockMoves(t *testing.T) {
	w := sim.New(1)
	h := &selfish{}
	w.Connect(h, nil).SendText("start")
	before := h.got
	w.Advance(time.Millisecond)
	if h.got <= before {
		t.Errorf("HandleInfo ran %d times before Advance and %d after, want more after", before, h.got)
	}
}
