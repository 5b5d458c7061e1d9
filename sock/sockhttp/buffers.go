package sockhttp

import (
	"math/bits"
	"sync"

	"github.com/sockkit/sockkit/internal/lent"
)

// The gorilla transport reads each message into a buffer lent from a pool
// by size class, from minBuffer to FreeBytes, and gives it back once the
// Session has handled the message: a payload is valid until its callback
// returns (see sock.Frame). An idle connection holds none. Past FreeBytes a
// message's buffer is its own, counted in the budget, and left to the GC.

// minBuffer is the smallest buffer lent, and the first a message is read
// into.
const minBuffer = 512

// sizeClasses is how many sizes are lent: minBuffer to FreeBytes, doubling.
const sizeClasses = 8

// buffers holds a pool per size class: minBuffer << i for buffers[i].
var buffers [sizeClasses]sync.Pool

// sizeClass returns the index in buffers of the smallest class that holds
// size bytes; size is at most FreeBytes.
func sizeClass(size int) int {
	if size <= minBuffer {
		return 0
	}
	return bits.Len(uint(size-1)) - bits.Len(minBuffer-1)
}

// lend returns a buffer of at least size bytes, at most FreeBytes: its
// length is its class's size. The pointer goes back with giveBack, so that
// pooling allocates nothing.
func lend(size int) *[]byte {
	class := sizeClass(size)
	if p, ok := buffers[class].Get().(*[]byte); ok {
		return p
	}
	b := make([]byte, minBuffer<<class)
	return &b
}

// giveBack returns a buffer lend returned; nil is ignored. Under the race
// detector it overwrites it first (see internal/lent).
func giveBack(p *[]byte) {
	if p == nil {
		return
	}
	if lent.Poisoning {
		lent.Poison(*p)
	}
	buffers[sizeClass(cap(*p))].Put(p)
}
