package sim

import (
	"fmt"

	"github.com/sockkit/sockkit/sock"
)

// traced wraps a handler so that every callback and result lands in the
// trace. It implements every optional interface and behaves as the Session
// does when the inner handler lacks one.
type traced struct {
	inner   sock.Handler
	init    sock.InitHandler
	control sock.ControlHandler
	info    sock.InfoHandler
	term    sock.TerminateHandler
	conn    *Conn
}

func newTraced(h sock.Handler, c *Conn) *traced {
	t := &traced{inner: h, conn: c}
	t.init, _ = h.(sock.InitHandler)
	t.control, _ = h.(sock.ControlHandler)
	t.info, _ = h.(sock.InfoHandler)
	t.term, _ = h.(sock.TerminateHandler)
	return t
}

func (t *traced) record(k Kind, format string, args ...any) {
	t.conn.world.record(t.conn.n, k, fmt.Sprintf(format, args...))
}

// returned records r; a panicking callback records nothing here, the
// Session's 1011 close and Terminate tell the story.
func (t *traced) returned(r sock.Result) sock.Result {
	t.record(Returned, "%v", r)
	return r
}

func (t *traced) Init(c *sock.Conn) sock.Result {
	if t.init == nil {
		return sock.Continue()
	}
	t.record(Called, "Init")
	return t.returned(t.init.Init(c))
}

func (t *traced) HandleIn(c *sock.Conn, msg sock.Frame) sock.Result {
	t.record(Called, "HandleIn %v", msg)
	return t.returned(t.inner.HandleIn(c, msg))
}

func (t *traced) HandleControl(c *sock.Conn, f sock.Frame) sock.Result {
	if t.control == nil {
		return sock.Continue()
	}
	t.record(Called, "HandleControl %v", f)
	return t.returned(t.control.HandleControl(c, f))
}

func (t *traced) HandleInfo(c *sock.Conn, info any) sock.Result {
	if t.info == nil {
		t.record(Called, "HandleInfo %v: not implemented, dropped", info)
		return sock.Continue()
	}
	t.record(Called, "HandleInfo %v", info)
	return t.returned(t.info.HandleInfo(c, info))
}

func (t *traced) Terminate(c *sock.Conn, r sock.Reason) {
	t.record(Terminated, "%v", r)
	t.conn.terminations++
	t.conn.reason = r
	if t.term != nil {
		t.term.Terminate(c, r)
	}
}
