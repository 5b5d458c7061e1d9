package sockt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// simServer runs a server's connections in a simulated world: everything
// happens at once.
type simServer struct {
	srv   *sockhttp.Server
	world *sim.World
}

func newSimServer(srv *sockhttp.Server, o *Options) *simServer {
	return &simServer{srv: srv, world: sim.New(o.Seed)}
}

// connect decides the handshake with the server's own negotiation and, if
// it accepts, opens the connection in the world.
func (s *simServer) connect(t TB, r *http.Request) (connDriver, Handshake) {
	r, _ = upgradeRequest(r)
	acc, err := s.srv.Negotiate(r)
	var refusal *sockhttp.Refusal
	switch {
	case errors.As(err, &refusal):
		return nil, refused(refusal.Status, refusal.Header, refusal.Body)
	case err != nil:
		t.Fatalf("sockt: Negotiate: %v", err)
	}
	c := s.world.ConnectWith(acc.Handler, sock.ConnInfo{Request: r, Subprotocol: acc.Subprotocol}, acc.ConnOptions)
	return &simConn{world: s.world, conn: c},
		Handshake{Status: http.StatusSwitchingProtocols, Header: acc.Header, Subprotocol: acc.Subprotocol}
}

func (s *simServer) advance(d time.Duration)             { s.world.Advance(d) }
func (s *simServer) transcript(last int) ([]string, int) { return tail(s.world.Trace(), last) }

// shutdown shuts the server down, so that it refuses new connections, and
// every connection of the world with it.
func (s *simServer) shutdown(t TB) {
	if err := s.srv.Shutdown(context.Background()); err != nil {
		t.Errorf("sockt: Shutdown: %v", err)
	}
	s.world.Shutdown()
}

// simConn is one connection in the world.
type simConn struct {
	world *sim.World
	conn  *sim.Conn
	taken []sock.Frame // what next has taken, in order
}

func (d *simConn) send(f sock.Frame) { d.conn.SendFrame(f) }
func (d *simConn) sendRaw([]byte) error {
	return errors.New("the simulator carries frames, not bytes: SendRaw needs a socket (DialServer, DialURL)")
}
func (d *simConn) info(v any) error { return d.conn.SendInfo(v) }
func (d *simConn) next(time.Duration) (sock.Frame, bool) {
	f, ok := d.conn.Read()
	if ok {
		d.taken = append(d.taken, f)
	}
	return f, ok
}
func (d *simConn) terminated(time.Duration) (sock.Reason, int) {
	return d.conn.Reason(), d.conn.Terminations()
}

func (d *simConn) bugs() []string { return d.conn.Bugs() }

// close ends the connection if it is still open, the client closing it
// with text.
func (d *simConn) close(text string) {
	if !d.conn.Closed() {
		d.conn.ResumeReading() // a peer that stopped reading would keep the server's writes waiting past the close
	}
	if !d.conn.Closed() && d.conn.Terminations() == 0 {
		d.conn.Close(sock.CloseNormal, text)
	}
	if !d.conn.Closed() { // the handler closed and the test never let the handshake end
		d.world.Advance(d.conn.Session().Options().CloseTimeout)
	}
}

func (d *simConn) end() ([]sock.Frame, sock.Reason, bool) {
	d.close("done")
	for {
		if _, ok := d.next(0); !ok {
			break
		}
	}
	return slices.Clone(d.taken), d.conn.Reason(), d.conn.Terminations() > 0
}

func (d *simConn) finish() string {
	d.close("test over")
	switch n := d.conn.Terminations(); {
	case n != 1:
		return fmt.Sprintf("connection %d: Terminate ran %d times, want exactly once", d.conn.ID(), n)
	case !d.conn.Closed():
		return fmt.Sprintf("connection %d: the transport was never closed", d.conn.ID())
	}
	return ""
}
