package sock

import (
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// ConnInfo is what is known of a connection when its Session is made.
type ConnInfo struct {
	// ID names the connection in logs. Zero means: take the next number of a
	// process-wide counter.
	ID uint64
	// Request is the upgrade request. Its Body belongs to the upgraded
	// connection: do not read it. Nil for connections that had none, such as
	// simulated ones.
	Request *http.Request
	// Subprotocol is the negotiated subprotocol, or "".
	Subprotocol string
}

var lastConnID atomic.Uint64

// Conn is a handler's view of its connection: facts fixed at upgrade, a
// logger, the queue other goroutines send infos to, and timers.
//
// ID, Request, Subprotocol, Logger and SendInfo may be called from any
// goroutine; Now and After only from the connection's own callbacks.
type Conn struct {
	info    ConnInfo
	base    *slog.Logger                // [Options].Logger
	logger  atomic.Pointer[slog.Logger] // base with the conn attribute, made on first use
	infos   atomic.Pointer[infoQueue]   // made on first use; closedQueue once terminated
	session *Session
}

// ID returns the connection's identifier, unique within the process unless
// the driver chose it.
func (c *Conn) ID() uint64 { return c.info.ID }

// Request returns the upgrade request, or nil if there was none. Treat it as
// read-only, and do not read its Body.
func (c *Conn) Request() *http.Request { return c.info.Request }

// Subprotocol returns the negotiated subprotocol, or "" if none.
func (c *Conn) Subprotocol() string { return c.info.Subprotocol }

// Logger returns the connection's logger.
func (c *Conn) Logger() *slog.Logger {
	if l := c.logger.Load(); l != nil {
		return l
	}
	c.logger.CompareAndSwap(nil, c.base.With("conn", c.info.ID))
	return c.logger.Load()
}

// Now returns the time of the event being handled, on the session's clock:
// the wall clock under [Serve], virtual time in the simulator. Handlers that
// use it instead of time.Now stay deterministic in simulation. Call it only
// from the connection's callbacks.
func (c *Conn) Now() time.Time { return c.session.now }
