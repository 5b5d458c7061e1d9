package sockhttp

import (
	"fmt"
	"sync/atomic"

	"github.com/sockkit/sockkit/sock"
)

// FreeBytes of each message still arriving need not be counted in a
// [Budget]: the budget is for the few messages that could pin a lot, and
// counting every small one would put an atomic add on the path of all.
const FreeBytes = 64 << 10

// Budget bounds the bytes a server's connections hold in messages that
// have not all arrived yet ([Options].MemoryBudget); a [Host]'s transport
// takes from it what it buffers of a message past [FreeBytes], gives it
// back when the message is whole or failed, and fails a message it cannot
// take for with [Budget.Err]. A nil *Budget is no bound. It is safe for
// concurrent use.
type Budget struct {
	limit int64
	used  atomic.Int64
}

// newBudget returns the budget of o, or nil for none.
func newBudget(o *Options) *Budget {
	switch {
	case o.MemoryBudget < 0:
		return nil
	case o.MemoryBudget == 0:
		return &Budget{limit: defaultMemoryBudget}
	}
	return &Budget{limit: o.MemoryBudget}
}

const defaultMemoryBudget = 256 << 20

// Take takes n bytes from the budget, if it has them.
func (b *Budget) Take(n int64) bool {
	if b == nil {
		return true
	}
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

// Give gives n bytes back.
func (b *Budget) Give(n int64) {
	if b != nil && n > 0 {
		b.used.Add(-n)
	}
}

// Err is the error a transport fails a message with when [Budget.Take]
// refused it: it wraps [sock.ErrBusy], which the Session closes with 1013.
func (b *Budget) Err() error {
	return fmt.Errorf("%w: the server holds its budget of %d bytes in messages still arriving", sock.ErrBusy, b.limit)
}
