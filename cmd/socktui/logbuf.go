package main

import (
	"time"

	"github.com/sockkit/sockkit/cmd/socktui/internal/client"
	"github.com/sockkit/sockkit/sock"
)

// entry is one row of the log: a frame in or out, or a connection event.
type entry struct {
	at    time.Time
	kind  client.Kind
	frame sock.Frame
	rtt   time.Duration // a pong answering our ping
	text  string        // what a connection event says
}

// ring is the log: the last entries, at most its capacity, oldest first.
// Adding is O(1) whatever the traffic; the view renders only what shows.
type ring struct {
	buf   []entry
	start int // index of the oldest entry in buf
	n     int
	total int // entries ever added, so that a position survives the oldest leaving
}

func newRing(capacity int) *ring { return &ring{buf: make([]entry, capacity)} }

func (r *ring) add(e entry) {
	i := (r.start + r.n) % len(r.buf)
	if r.n == len(r.buf) {
		r.start = (r.start + 1) % len(r.buf)
	} else {
		r.n++
	}
	r.buf[i] = e
	r.total++
}

// len returns how many entries the ring holds.
func (r *ring) len() int { return r.n }

// at returns the i-th entry held, oldest first.
func (r *ring) at(i int) *entry { return &r.buf[(r.start+i)%len(r.buf)] }

// dropped returns how many entries have left the ring.
func (r *ring) dropped() int { return r.total - r.n }

func (r *ring) clear() { r.start, r.n = 0, 0; r.total = 0 }
