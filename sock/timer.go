package sock

import (
	"container/heap"
	"time"
)

// Timers are the Session's own: [Conn.After] sets one on the session's
// clock, [Session.Tick] fires those due, [Session.Deadline] reports the
// earliest, and terminate drops them all. Invariants: a timer fires at most
// once, never after Terminate, and timers due at the same time fire in the
// order they were set; a Tick fires only timers set before it, so a handler
// that keeps setting After(0) cannot keep one Tick from returning.

// Timer is a pending info message scheduled with [Conn.After].
type Timer struct {
	when    time.Time
	seq     uint64 // breaks ties: timers due at once fire in the order they were set
	info    any
	index   int // position in the heap, -1 once fired or stopped
	session *Session
}

// After arranges for info to reach HandleInfo once d has passed on the
// session's clock (virtual in the simulator). Timers due at the same time fire
// in the order they were set; pending timers are dropped when the connection
// terminates. Call After only from the connection's callbacks; other
// goroutines use [Conn.SendInfo].
func (c *Conn) After(d time.Duration, info any) *Timer {
	s := c.session
	s.timerSeq++
	t := &Timer{when: s.now.Add(d), seq: s.timerSeq, info: info, session: s}
	heap.Push(&s.timers, t)
	return t
}

// Stop cancels the timer. It reports whether it did so before the timer fired.
// Like [Conn.After], call it only from the connection's callbacks.
func (t *Timer) Stop() bool {
	if t.index < 0 {
		return false
	}
	heap.Remove(&t.session.timers, t.index)
	return true
}

// fireTimers delivers, in order, the infos of the timers due at now that
// were set before it was called, while the connection stays open.
func (s *Session) fireTimers(now time.Time) {
	last := s.timerSeq
	for s.state == stateOpen && len(s.timers) > 0 && !now.Before(s.timers[0].when) && s.timers[0].seq <= last {
		s.deliver(heap.Pop(&s.timers).(*Timer).info)
	}
}

// dropTimers cancels every pending timer: the connection is terminating.
func (s *Session) dropTimers() {
	for _, t := range s.timers {
		t.index = -1
	}
	s.timers = nil
}

// timerHeap orders timers by due time, then by the order they were set.
type timerHeap []*Timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].when.Equal(h[j].when) {
		return h[i].when.Before(h[j].when)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *timerHeap) Push(x any) {
	t := x.(*Timer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}

// next returns the earliest due time, or the zero time when no timer is set.
func (h timerHeap) next() time.Time {
	if len(h) == 0 {
		return time.Time{}
	}
	return h[0].when
}
