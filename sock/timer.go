package sock

import (
	"container/heap"
	"time"
)

// Timer is a pending info message scheduled with [Conn.After].
type Timer struct {
	when    time.Time
	seq     uint64 // breaks ties: timers due at once fire in the order they were set
	info    any
	index   int // position in the heap, -1 once fired or stopped
	session *Session
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
