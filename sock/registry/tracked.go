package registry

import (
	"github.com/sockkit/sockkit/sock"
)

// tracked wraps a handler for [Registry.Track]: it passes every callback
// on, as the Session would call the handler itself, closes a member its
// Policy closes at its next callback, and has the registry forget the
// connection after Terminate.
type tracked struct {
	reg     *Registry
	m       *member // the connection's, from Init on
	inner   sock.Handler
	init    sock.InitHandler
	control sock.ControlHandler
	info    sock.InfoHandler
	term    sock.TerminateHandler
}

func newTracked(r *Registry, h sock.Handler) *tracked {
	t := &tracked{reg: r, inner: h}
	t.init, _ = h.(sock.InitHandler)
	t.control, _ = h.(sock.ControlHandler)
	t.info, _ = h.(sock.InfoHandler)
	t.term, _ = h.(sock.TerminateHandler)
	return t
}

// turn is what every callback of the member does first: the close its
// policy calls for, if it does, or the wake a full queue refused.
func (t *tracked) turn() (sock.Result, bool) {
	if t.m.slow.Load() {
		t.reg.closed.Add(1)
		return sock.Close(t.m.policy.Load().Close, "too slow"), true
	}
	t.reg.rewake(t.m)
	return sock.Result{}, false
}

func (t *tracked) Init(c *sock.Conn) sock.Result {
	t.reg.mu.Lock()
	t.m = t.reg.memberOf(c)
	t.m.tracked = true
	t.reg.mu.Unlock()
	if t.init == nil {
		return sock.Continue()
	}
	return t.init.Init(c)
}

func (t *tracked) HandleIn(c *sock.Conn, msg sock.Frame) sock.Result {
	if r, ok := t.turn(); ok {
		return r
	}
	return t.inner.HandleIn(c, msg)
}

func (t *tracked) HandleControl(c *sock.Conn, f sock.Frame) sock.Result {
	if t.control == nil {
		return sock.Continue()
	}
	return t.control.HandleControl(c, f)
}

func (t *tracked) HandleInfo(c *sock.Conn, info any) sock.Result {
	if r, ok := t.turn(); ok {
		return r
	}
	if w, ok := info.(wake); ok { // the backlog's next message
		next, ok := t.reg.next(w.m)
		if !ok {
			return sock.Continue()
		}
		info = next
	}
	if p, ok := info.(published); ok {
		if !p.current() {
			return sock.Continue() // left since: not for it any more
		}
		info = p.info
	}
	if t.info == nil {
		return sock.Continue()
	}
	return t.info.HandleInfo(c, info)
}

func (t *tracked) Terminate(c *sock.Conn, r sock.Reason) {
	defer t.reg.forget(c) // even if Terminate panics
	if t.term != nil {
		t.term.Terminate(c, r)
	}
}
