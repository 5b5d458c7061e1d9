package sockhttp

import (
	"context"
	"slices"
)

// cohort is a batch of connections for the drain: up to Drain.Batch of
// them, accepted one after the other, share a context that shuts them
// down. One context per connection would cost each about 0.5 KB more
// (measured with TestIdleConnMemoryBudget: 17.9–18.3 KB a connection,
// against 17.4–17.6).
type cohort struct {
	ctx      context.Context
	stop     context.CancelCauseFunc
	accepted int  // connections that joined it
	live     int  // of which are still open
	drained  bool // stopped by Shutdown
}

// cohorts are the server's, oldest first; the last takes newcomers until
// it is full. They are guarded by the server's mutex.
type cohorts struct {
	size int // of a cohort: Drain.Batch
	list []*cohort
}

// join returns the cohort a new connection joins, made under parent if
// the last is full.
func (cs *cohorts) join(parent context.Context) *cohort {
	var c *cohort
	if n := len(cs.list); n > 0 && cs.list[n-1].accepted < cs.size {
		c = cs.list[n-1]
	} else {
		c = &cohort{}
		c.ctx, c.stop = context.WithCancelCause(parent)
		cs.list = append(cs.list, c)
	}
	c.accepted++
	c.live++
	return c
}

// leave notes that a connection of c ended; a cohort that is full and
// empty is forgotten.
func (cs *cohorts) leave(c *cohort) {
	c.live--
	if c.live == 0 && c.accepted >= cs.size {
		c.stop(nil)
		cs.list = slices.DeleteFunc(cs.list, func(x *cohort) bool { return x == c })
	}
}
