package sockhttp

import "sync/atomic"

// freeBytes of each message still arriving are not counted in the budget:
// the budget is for the few messages that could pin a lot, and counting
// every small one would put an atomic add on the path of all.
const freeBytes = 64 << 10

// budget bounds the bytes a server's connections hold in messages that
// have not all arrived yet ([Options].MemoryBudget). A nil *budget is no
// bound.
type budget struct {
	limit int64
	used  atomic.Int64
}

// newBudget returns the budget of o, or nil for none.
func newBudget(o *Options) *budget {
	switch {
	case o.MemoryBudget < 0:
		return nil
	case o.MemoryBudget == 0:
		return &budget{limit: defaultMemoryBudget}
	}
	return &budget{limit: o.MemoryBudget}
}

const defaultMemoryBudget = 256 << 20

// take takes n bytes from the budget, if it has them.
func (b *budget) take(n int64) bool {
	if b == nil {
		return true
	}
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

// give gives n bytes back.
func (b *budget) give(n int64) {
	if b != nil && n > 0 {
		b.used.Add(-n)
	}
}
