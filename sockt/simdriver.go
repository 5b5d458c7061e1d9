package sockt

import (
	"fmt"
	"time"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
)

// New starts a handler made by f in the simulator and runs its Init. At
// cleanup the client closes the connection if it is still open, and the test
// fails unless Terminate ran exactly once and the transport was closed.
func New(t TB, f Factory, opts *Options) *Conn {
	t.Helper()
	o := opts.withDefaults()
	d := &simDriver{world: sim.New(o.Seed), factory: f, opts: o}
	d.conn = d.world.Connect(f(), o.Session)
	return newConn(t, d, o)
}

// simDriver runs a Conn in the simulator: everything happens at once.
type simDriver struct {
	world   *sim.World
	factory Factory
	opts    Options
	conn    *sim.Conn
}

func (d *simDriver) connect(t TB) *Conn {
	next := &simDriver{world: d.world, factory: d.factory, opts: d.opts}
	next.conn = d.world.Connect(d.factory(), d.opts.Session)
	return newConn(t, next, d.opts)
}

func (d *simDriver) send(f sock.Frame)       { d.conn.SendFrame(f) }
func (d *simDriver) info(v any) error        { return d.conn.SendInfo(v) }
func (d *simDriver) advance(t time.Duration) { d.world.Advance(t) }
func (d *simDriver) shutdown()               { d.conn.Shutdown() }
func (d *simDriver) transcript() []string    { return d.world.Trace().Lines() }

func (d *simDriver) next(time.Duration) (sock.Frame, bool) { return d.conn.Read() }

func (d *simDriver) terminated(time.Duration) (sock.Reason, int) {
	return d.conn.Reason(), d.conn.Terminations()
}

func (d *simDriver) finish(*Options) string {
	if !d.conn.Closed() && d.conn.Terminations() == 0 {
		d.conn.Close(sock.CloseNormal, "test over")
	}
	if !d.conn.Closed() { // the handler closed and the test never let the handshake end
		d.world.Advance(d.conn.Session().Options().CloseTimeout)
	}
	switch n := d.conn.Terminations(); {
	case n != 1:
		return fmt.Sprintf("connection %d: Terminate ran %d times, want exactly once", d.conn.ID(), n)
	case !d.conn.Closed():
		return fmt.Sprintf("connection %d: the transport was never closed", d.conn.ID())
	}
	return ""
}
