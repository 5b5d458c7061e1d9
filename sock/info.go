package sock

import (
	"sync"
	"time"
)

// Info messages reach a handler's HandleInfo from other goroutines: a sender
// calls [Conn.SendInfo], which puts the info in the connection's bounded
// queue and, when the queue stops being empty, calls the driver's notify
// function ([Session.NotifyInfo]); the driver then calls
// [Session.DeliverInfo] on the connection's turn. Invariants: SendInfo never
// blocks; infos from one sender arrive in the order sent; none is delivered
// after Terminate, and every SendInfo after it fails with [ErrClosed].

// SendInfo queues info for the handler's HandleInfo. It may be called from
// any goroutine and never blocks: it returns [ErrInfoQueueFull] when
// [Options].InfoQueueSize infos are waiting and [ErrClosed] once the
// connection has terminated. Infos from one goroutine arrive in the order
// sent. A nil error means queued, not delivered: a connection that
// terminates first drops what is still queued.
func (c *Conn) SendInfo(info any) error { return c.infoQueue().put(info) }

// infoQueue returns the connection's queue, making it on first use: many
// connections never get an info, and an idle connection should cost little.
func (c *Conn) infoQueue() *infoQueue {
	if q := c.infos.Load(); q != nil {
		return q
	}
	s := c.session
	q := &infoQueue{limit: s.opts.InfoQueueSize}
	if h := s.opts.Hooks; h != nil && h.InfoDropped != nil {
		q.dropped = func() { h.InfoDropped(c) }
	}
	if c.infos.CompareAndSwap(nil, q) {
		// NotifyInfo may run concurrently: whichever of us comes second
		// hands the notify function to the new queue.
		if notify := s.notify.Load(); notify != nil {
			c.infos.Load().setNotify(*notify)
		}
	}
	return c.infos.Load() // ours, another sender's, or closedQueue
}

// NotifyInfo makes the Session call notify whenever [Conn.SendInfo] puts an
// info into an empty queue, so the driver knows to call
// [Session.DeliverInfo]. notify runs on the sending goroutine: it must not
// block and must not call the Session. It may be set after infos were sent,
// from any goroutine: if infos are waiting, notify is called at once.
func (s *Session) NotifyInfo(notify func()) {
	s.notify.Store(&notify)
	if q := s.conn.infos.Load(); q != nil {
		q.setNotify(notify)
	}
}

// DeliverInfo hands every info queued by [Conn.SendInfo] to HandleInfo, in
// arrival order. Drivers call it after the function given to
// [Session.NotifyInfo] said infos wait.
func (s *Session) DeliverInfo(now time.Time) {
	if !s.advance(now) || s.state != stateOpen {
		return
	}
	q := s.conn.infos.Load()
	if q == nil {
		return // nothing was ever sent
	}
	batch := q.take()
	defer clear(batch) // delivered infos are the handler's to keep, not ours
	for _, info := range batch {
		if s.state != stateOpen {
			return
		}
		s.deliver(info)
	}
}

// deliver runs HandleInfo with info, from the queue or a timer.
func (s *Session) deliver(info any) {
	if s.has&hasInfo == 0 {
		s.conn.Logger().Debug("sock: info dropped: handler has no HandleInfo", "info", info)
		return
	}
	s.run(callInfo, nil, info)
}

// closeInfos refuses every later SendInfo and drops what is queued: the
// connection is terminating.
func (s *Session) closeInfos() {
	if !s.conn.infos.CompareAndSwap(nil, closedQueue) {
		s.conn.infos.Load().close()
	}
}

// infoQueue is the bounded, goroutine-safe queue behind [Conn.SendInfo].
// Senders never block: a full or closed queue refuses the info at once.
type infoQueue struct {
	mu      sync.Mutex
	queue   []any
	spare   []any // the drained queue, kept to be reused
	limit   int
	closed  bool
	notify  func() // called when the queue stops being empty, if not nil
	dropped func() // called when the queue refuses an info for being full, if not nil
}

// closedQueue stands for the queue of a connection that terminated before
// anything was sent to it.
var closedQueue = &infoQueue{closed: true}

func (q *infoQueue) put(info any) error {
	q.mu.Lock()
	switch {
	case q.closed:
		q.mu.Unlock()
		return ErrClosed
	case len(q.queue) >= q.limit:
		q.mu.Unlock()
		if q.dropped != nil {
			q.dropped()
		}
		return ErrInfoQueueFull
	}
	first := len(q.queue) == 0
	q.queue = append(q.queue, info)
	notify := q.notify
	q.mu.Unlock()
	if first && notify != nil {
		notify()
	}
	return nil
}

// setNotify makes notify the function put calls, and calls it at once if
// infos are already waiting: they may have come before the driver was ready.
func (q *infoQueue) setNotify(notify func()) {
	q.mu.Lock()
	q.notify = notify
	waiting := len(q.queue) > 0
	q.mu.Unlock()
	if waiting && notify != nil {
		notify()
	}
}

// take returns every queued info in arrival order. The slice is valid until
// the next call; the caller clears it once delivered.
func (q *infoQueue) take() []any {
	q.mu.Lock()
	defer q.mu.Unlock()
	got := q.queue
	q.queue, q.spare = q.spare[:0], got
	return got
}

// close refuses every later put and drops what is queued.
func (q *infoQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	clear(q.queue)
	q.queue, q.spare = nil, nil
}
