package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockkit/sockkit/sock"
)

// scanDue is nextDue as it was, a scan of every connection: the reference
// the heap must agree with.
func scanDue(w *World, end time.Time) ([]*Conn, time.Time) {
	var due []*Conn
	var first time.Time
	for _, c := range w.conns {
		d := c.deadline()
		switch {
		case d.IsZero() || d.After(end):
			continue
		case c.stopped():
			if !end.After(w.now) {
				continue
			}
			d = end
		case d.Before(w.now):
			d = w.now
		}
		switch {
		case len(due) == 0 || d.Before(first):
			due, first = []*Conn{c}, d
		case d.Equal(first):
			due = append(due, c)
		}
	}
	return due, first
}

// timed sets timers as its messages say ("t250" in 250ms, "loop" due now
// forever), echoes, pushes its infos, and stops on "stop".
type timed struct{}

func (timed) HandleIn(c *sock.Conn, msg sock.Frame) sock.Result {
	switch s := string(msg.Payload); {
	case s == "stop":
		return sock.Stop()
	case s == "loop":
		c.After(0, "loop")
	case strings.HasPrefix(s, "t"):
		ms, _ := strconv.Atoi(s[1:])
		c.After(time.Duration(ms)*time.Millisecond, s)
	}
	return sock.Push(msg)
}

func (timed) HandleInfo(c *sock.Conn, info any) sock.Result {
	if info == "loop" {
		c.After(0, "loop")
	}
	return sock.Push(sock.Text(fmt.Sprint(info)))
}

// Every answer of nextDue's heap is the scan's, through random lifecycles of
// many connections: timers, keepalives, idle and write timeouts, blocked
// writes, loops, closes and shutdowns.
func TestNextDueAgreesWithAScan(t *testing.T) {
	calls := 0
	checkDue = func(w *World, end time.Time, due []*Conn, first time.Time) {
		calls++
		want, wantFirst := scanDue(w, end)
		if !slices.Equal(due, want) || !first.Equal(wantFirst) {
			t.Fatalf("at %v, due by %v: the heap gives %v at %v, the scan %v at %v\n%s",
				w.now.Sub(Epoch), end.Sub(Epoch), ids(due), first.Sub(Epoch), ids(want), wantFirst.Sub(Epoch), w.Trace())
		}
	}
	defer func() { checkDue = nil }()
	durations := []time.Duration{0, time.Millisecond, 250 * time.Millisecond, time.Second, 3 * time.Second, 61 * time.Second}
	for seed := uint64(1); seed <= 60; seed++ {
		// Loops in a third of the worlds, and no keepalive there: a loop
		// runs a thousand turns each time the clock moves.
		loops := seed%3 == 0
		texts := []string{"t0", "t1", "t250", "t1000", "t2500", "hello", "stop", "loop"}
		pings := []time.Duration{0, 500 * time.Millisecond, 2 * time.Second}
		if loops {
			pings = pings[:1]
		} else {
			texts = texts[:len(texts)-1]
		}
		rng := rand.New(rand.NewPCG(seed, 0))
		w := New(seed)
		var conns []*Conn
		for range 60 {
			if len(conns) == 0 || rng.IntN(8) == 0 && len(conns) < 12 {
				o := &sock.Options{
					IdleTimeout:  durations[rng.IntN(len(durations))] + time.Second,
					PingInterval: pings[rng.IntN(len(pings))],
					WriteTimeout: 2 * time.Second,
				}
				conns = append(conns, w.Connect(timed{}, o))
				continue
			}
			c := conns[rng.IntN(len(conns))]
			switch rng.IntN(12) {
			case 0, 1, 2:
				c.SendText(texts[rng.IntN(len(texts))])
			case 3, 4:
				w.Advance(durations[rng.IntN(len(durations))])
			case 5:
				c.StopReading()
				c.SetBufferSize(8)
			case 6:
				c.ResumeReading()
			case 7:
				c.SendInfo(strings.Repeat("x", rng.IntN(20)))
			case 8:
				[]func(){c.Drop, c.Shutdown, c.IgnorePings, c.IgnoreClose}[rng.IntN(4)]()
			case 9:
				c.Close(sock.CloseNormal, "")
			case 10:
				w.HoldInfos(rng.IntN(2) == 0)
			case 11:
				w.DeliverInfos()
			}
		}
		w.Advance(time.Hour)
	}
	t.Logf("%d calls", calls)
	if calls < 10000 {
		t.Errorf("nextDue was called %d times, want many more: the lifecycles are too tame", calls)
	}
}

func ids(conns []*Conn) []uint64 {
	var ids []uint64
	for _, c := range conns {
		ids = append(ids, c.id)
	}
	return ids
}
