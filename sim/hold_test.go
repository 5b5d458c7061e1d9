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
