package registry

import (
	"fmt"

	"github.com/sockkit/sockkit/sock"
)

// Policy says what happens to a member that cannot keep up: whose queue of
// infos ([sock.Options].InfoQueueSize), or whose backlog in the registry,
// is full when something is sent to it. Whatever the policy, the sender is
// never held up, and the other members get what is sent.
type Policy struct {
	// Backlog, if not zero, keeps up to Backlog messages for the member in
	// the registry, handed to HandleInfo one at a time as it takes them;
	// when the backlog is full the oldest is dropped to make room, unless
	// Close says otherwise. Zero sends straight to the member's own queue,
	// which refuses the newest when full.
	Backlog int
	// Close, if not zero, closes the member with this code — 1008 policy
	// violation, or 1013 try again later — once its queue (or backlog) is
	// full; the message that found it full is dropped.
	Close sock.CloseCode
}

// DropNewest, the default, drops for that member the message that found
// its queue full, and keeps the member: melody's choice.
var DropNewest = Policy{}

// DropOldest keeps up to n messages, n > 0, for a member in the registry,
// dropping the oldest when a newer one comes: for feeds where the latest
// matters most (prices, positions).
func DropOldest(n int) Policy {
	if n <= 0 {
		panic(fmt.Sprintf("registry: DropOldest(%d): a backlog holds one message at least", n))
	}
	return Policy{Backlog: n}
}

// check panics if p is not a policy: a mistake in the program.
func (p Policy) check() {
	switch {
	case p.Backlog < 0:
		panic(fmt.Sprintf("registry: a backlog of %d", p.Backlog))
	case p.Close != 0 && !p.Close.Valid():
		panic(fmt.Sprintf("registry: close code %d may not be sent", p.Close))
	}
}

// CloseSlow closes a member whose queue is full with 1013 "try again
// later": the client reconnects and catches up, as centrifuge has its
// clients do.
var CloseSlow = Policy{Close: sock.CloseTryAgainLater}

func (p Policy) closes() bool { return p.Close != 0 }

func (p Policy) String() string {
	switch {
	case p.closes() && p.Backlog > 0:
		return fmt.Sprintf("close with %d past %d", p.Close, p.Backlog)
	case p.closes():
		return fmt.Sprintf("close with %d", p.Close)
	case p.Backlog > 0:
		return fmt.Sprintf("drop oldest past %d", p.Backlog)
	}
	return "drop newest"
}

// SetPolicy sets c's policy, in place of the registry's default: call it
// from Init, as the connection is accepted. It panics if p is not a valid
// policy.
func (r *Registry) SetPolicy(c *sock.Conn, p Policy) {
	p.check()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.memberOf(c).policy.Store(&p)
}
