package sock

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Serve drives s over t until the connection is over, then closes t. It opens
// the Session and feeds it what t reads, the infos sent to it, its
// timers and — when ctx is cancelled — a shutdown (close 1001, or 1012 if
// the cause is [ErrRestart]), writing what it asks for.
//
// Serve reads on the calling goroutine and starts none of its own while the
// connection is idle: an idle connection costs one goroutine. A timer that
// fires runs on a goroutine of its own (time.AfterFunc), and infos are
// delivered on a short-lived goroutine per burst; a mutex makes every
// callback run one at a time, and whichever goroutine holds the Session
// writes its frames. Serve returns once t's reader has stopped; a timer or
// delivery that raced with the end may still be returning, without touching
// the Session.
//
// Serve returns nil when the connection ended normally, by the peer, by
// shutdown or by timeout, and [Reason].Err when it failed. A panic outside
// the callbacks, a hook's or the transport's, on any goroutine of the
// connection, ends it at once (see [Hooks]) and the first is returned as
// a [*PanicError]. Serve panics if s was opened before.
func Serve(ctx context.Context, t Transport, s *Session) (err error) {
	s.mustBeNew() // a Session is served once
	d := &driver{t: t, s: s}
	defer d.stop(&err)
	d.start(ctx)
	// finish, apart: 48 bytes less under the whole connection (measured: 8 KiB idle stack without, path=ping).
	return d.finish(t.ReadFrames(d.receive))
}

// start opens the Session.
func (d *driver) start(ctx context.Context) {
	s := d.s
	d.mu.Lock()
	d.held = true
	d.timer = time.AfterFunc(time.Hour, func() { d.locked(d.tick) })
	d.timer.Stop()
	s.NotifyInfo(func() {
		d.infos.Store(true)
		go d.locked(d.deliverInfo)
	})
	s.Open(time.Now())
	d.opened = true // Init has run
	d.flush()
	d.held = false
	d.mu.Unlock()
	d.stopShutdown = context.AfterFunc(ctx, func() {
		restart := errors.Is(context.Cause(ctx), ErrRestart)
		d.locked(func(s *Session, now time.Time) { s.shutdown(now, restart) })
	})
}

// finish ends the Session after the reader stopped with err and returns
// what Serve returns.
func (d *driver) finish(err error) error {
	if d.held {
		d.swallowed()
	} else {
		d.mu.Lock()
	}
	d.held = true
	if d.panicked == nil { // else abandoned on another goroutine
		d.s.Fail(time.Now(), err) // a no-op if the Session is done already
		d.flush()
	}
	d.finished = true
	switch r := &d.s.reason; {
	case d.panicked != nil:
		err = d.panicked
	case r.Kind == ReasonError:
		err = r.Err
	default:
		err = nil
	}
	d.held = false
	d.mu.Unlock()
	return err
}

// driver holds what Serve shares between the goroutines that take turns
// with the Session.
type driver struct {
	t            Transport
	stopShutdown func() bool // unregisters shutdown from Serve's context

	mu       sync.Mutex // held while the Session runs
	s        *Session
	timer    *time.Timer
	armed    time.Time   // when timer fires; zero when stopped
	deadline time.Time   // of the writes: see writeDeadline
	closed   bool        // t is closed
	opened   bool        // Open has returned: Init has run
	finished bool        // Serve has returned or is returning
	held     bool        // Serve's goroutine holds mu (a panic there leaves it held)
	panicked *PanicError // the first panic abandon recovered
	// infos is set when infos wait: the reader delivers them before the
	// next frame if the delivery goroutine has not had its turn yet, so
	// that an info sent before a frame arrived is handled before it.
	infos atomic.Bool
}

// receive hands a frame read by t to the Session. d.mu is released
// without a defer: a panic leaves it held, for stop (see held).
func (d *driver) receive(f Frame) {
	if d.held { // a panic out of the last emit, which the transport recovered
		d.swallowed()
		return
	}
	d.mu.Lock()
	d.held = true
	d.handle(&f)
	d.flush()
	d.held = false
	d.mu.Unlock()
}

// handle hands f to the Session, after the infos that wait.
//
// Not inlined: keeps Receive's arguments, 72 bytes, off every write (measured: 8 KiB idle stack without, path=ping).
//
//go:noinline
func (d *driver) handle(f *Frame) {
	now := time.Now()
	if d.infos.Load() {
		d.deliverInfo(d.s, now)
	}
	d.s.Receive(now, *f)
}

// deliverInfo delivers the infos that wait.
func (d *driver) deliverInfo(s *Session, now time.Time) {
	d.infos.Store(false)
	s.DeliverInfo(now)
}

// locked feeds the Session an event from a goroutine other than the
// reader's — the timer's, an info delivery's, the shutdown's — unless Serve is
// over, and writes what it asks for.
func (d *driver) locked(event func(s *Session, now time.Time)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.finished || d.panicked != nil {
		return
	}
	done := false
	defer func() { // a hook that panicked, on a goroutine of Serve's own: this connection's end, not the program's
		v := recover()
		if v == nil && !done {
			v = errGoexit
		}
		if v != nil {
			d.abandon(v)
		}
	}()
	event(d.s, time.Now())
	d.flush()
	done = true
}

// tick is the timer's event: the timer is no longer armed.
func (d *driver) tick(s *Session, now time.Time) {
	d.armed = time.Time{}
	s.Tick(now)
}

// flush writes what the Session asks for, reporting a failed write back to
// it, then settles. The caller holds d.mu.
func (d *driver) flush() {
	s := d.s
	for {
		out := s.Output()
		if len(out) == 0 {
			break
		}
		for i := range out {
			if err := d.t.WriteFrame(out[i], d.writeDeadline()); err != nil {
				clear(out) // drop the frames left
				s.Fail(time.Now(), writeError(err))
				break // what Fail queued, if anything, is written by the next round
			}
			out[i] = Frame{} // do not keep the payload alive
		}
	}
	d.settle()
}

// writeDeadline returns the deadline of the writes starting now: the one
// given to the writes before while a sixteenth of WriteTimeout or less has
// passed since it was set, else now plus WriteTimeout. So a transport that
// sets its socket's deadline only when it changes does so once in a while,
// not at every write: each is a runtime timer moved, 1.6% of all CPU time
// in a profile of an in-process echo on the gws host, 0.6% after. Each
// write gets one: a callback's frames written one after the other each
// have 15/16 of WriteTimeout at least.
//
// time.Until reads only the monotonic clock: 9% less of BenchmarkServeEcho
// than time.Now at every write (p=0.028).
func (d *driver) writeDeadline() time.Time {
	timeout := d.s.opts.WriteTimeout
	if time.Until(d.deadline) < timeout-timeout/16 {
		d.deadline = time.Now().Add(timeout)
	}
	return d.deadline
}

// settle closes t once the Session is done, and otherwise makes sure the
// timer fires by the Session's deadline.
func (d *driver) settle() {
	if d.s.Done() {
		d.timer.Stop()
		d.closeTransport() // ends ReadFrames
		return
	}
	// Re-arm only for an earlier deadline: a timer that fires early finds
	// nothing due and re-arms, which is cheaper than a reset per message.
	if next := d.s.Deadline(); !next.IsZero() && (d.armed.IsZero() || next.Before(d.armed)) {
		d.armed = next
		d.timer.Reset(time.Until(next))
	}
}

// writeError tells a write timeout apart from other write errors.
func writeError(err error) error {
	var timeout interface{ Timeout() bool }
	if errors.As(err, &timeout) && timeout.Timeout() {
		return fmt.Errorf("%w: %w", ErrWriteTimeout, err)
	}
	return err
}
