package sock

import (
	"container/heap"
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
// logger, the mailbox other goroutines send to, and timers.
//
// ID, Request, Subprotocol, Logger and Send may be called from any goroutine;
// Now and After only from the connection's own callbacks.
type Conn struct {
	info    ConnInfo
	base    *slog.Logger                // [Options].Logger
	logger  atomic.Pointer[slog.Logger] // base with the conn attribute, made on first use
	mail    atomic.Pointer[mailbox]     // made on first use; closedMailbox once terminated
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

// Send queues info for the handler's HandleInfo. Messages from one goroutine
// arrive in the order sent. Send never blocks: it returns [ErrMailboxFull]
// when [Options].MailboxSize messages are waiting and [ErrClosed] once the
// connection has terminated. A nil error means queued, not delivered: a
// connection that terminates first drops what is still queued.
func (c *Conn) Send(info any) error { return c.mailbox().put(info) }

// mailbox returns the connection's mailbox, making it on first use: many
// connections never get mail, and an idle connection should cost little.
func (c *Conn) mailbox() *mailbox {
	if m := c.mail.Load(); m != nil {
		return m
	}
	s := c.session
	if c.mail.CompareAndSwap(nil, &mailbox{limit: s.opts.MailboxSize}) {
		// NotifyMail may run concurrently: whichever of us comes second
		// hands the notify function to the new mailbox.
		if notify := s.notify.Load(); notify != nil {
			c.mail.Load().setNotify(*notify)
		}
	}
	return c.mail.Load() // ours, another sender's, or closedMailbox
}

// Now returns the time of the event being handled, on the session's clock:
// the wall clock under [Serve], virtual time in the simulator. Handlers that
// use it instead of time.Now stay deterministic in simulation. Call it only
// from the connection's callbacks.
func (c *Conn) Now() time.Time { return c.session.now }

// After arranges for info to reach HandleInfo once d has passed on the
// session's clock (virtual in the simulator). Timers due at the same time fire
// in the order they were set; pending timers are dropped when the connection
// terminates. Call After only from the connection's callbacks; other
// goroutines use Send.
func (c *Conn) After(d time.Duration, info any) *Timer {
	s := c.session
	s.timerSeq++
	t := &Timer{when: s.now.Add(d), seq: s.timerSeq, info: info, session: s}
	heap.Push(&s.timers, t)
	return t
}
