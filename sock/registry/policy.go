package registry

import (
	"fmt"

	"github.com/sockkit/sockkit/sock"
)

// Policy says what happens to a member that cannot keep up: whose queue of
// infos ([sock.Options].InfoQueueSize) is full when something is sent to
// it. Whatever the policy, the sender is never held up, and the other
// members get what is sent.
type Policy struct {
	// Close, if not zero, closes the member with this code — 1008 policy
	// violation, or 1013 try again later — once its queue is full; the
	// message that found it full is dropped. Zero drops that message and
	// keeps the member: DropNewest.
	Close sock.CloseCode
}

// DropNewest, the default, drops for that member the message that found
// its queue full, and keeps the member: melody's choice.
var DropNewest = Policy{}

// CloseSlow closes a member whose queue is full with 1013 "try again
// later": the client reconnects and catches up, as centrifuge has its
// clients do.
var CloseSlow = Policy{Close: sock.CloseTryAgainLater}

func (p Policy) closes() bool { return p.Close != 0 }

func (p Policy) String() string {
	if !p.closes() {
		return "drop newest"
	}
	return fmt.Sprintf("close with %d", p.Close)
}

// SetPolicy sets c's policy, in place of the registry's default: call it
// from Init, as the connection is accepted.
func (r *Registry) SetPolicy(c *sock.Conn, p Policy) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.memberOf(c).policy = p
}
