package sock

import (
	"errors"
	"time"
)

// stop runs as Serve returns: it unregisters the shutdown and, if Serve is
// over without finishing, because of a panic that no callback's recover
// caught (a hook's, the transport's), recovers it and abandons the
// connection; Serve returns the [*PanicError]. The recover costs an idle
// connection nothing: stop runs only as Serve returns. A panic on Serve's
// goroutine leaves d.mu locked (held says so), so that nothing runs on
// the Session from the panic on.
func (d *driver) stop(err *error) {
	if d.stopShutdown != nil {
		d.stopShutdown()
	}
	if d.finished {
		return
	}
	v := recover()
	if !d.held {
		d.mu.Lock()
	}
	d.held = false
	defer d.mu.Unlock()
	d.finished = true
	if v == nil { // runtime.Goexit (a test's FailNow in a hook)
		v = errGoexit
	}
	d.abandon(v) // sets d.panicked, if no other goroutine did first
	*err = d.panicked
}

// errGoexit is what ends a connection whose goroutine runtime.Goexit ended.
var errGoexit = errors.New("sock: the connection's goroutine exited (runtime.Goexit)")

// errSwallowed is what ends a connection whose transport recovered a
// panic out of emit: the lock the panic left held is found at the next
// emit, or as ReadFrames returns.
var errSwallowed = errors.New("sock: a panic out of emit, recovered by the transport")

// swallowed abandons the connection, if it was not already, when Serve's
// goroutine finds d.mu held on entering emit or finish (see held): the
// transport recovered a panic out of emit. Serve's goroutine goes on
// holding d.mu.
func (d *driver) swallowed() {
	if d.panicked == nil {
		d.abandon(errSwallowed)
	}
}

// abandon ends the connection at once after v, a panic that no callback's
// recover caught, on whichever goroutine held the Session. It logs v at
// Error with its stack and, for the first such panic, ends the Session:
// Terminate receives it as a [*PanicError] with 1006, unless Init has not
// run (the infos are refused from then on) or the connection was ending
// already; frames queued before are still written. Whatever happens, even
// another panic (logged too), the timer is stopped and t closed, and
// nothing runs on the Session after. The caller holds d.mu.
func (d *driver) abandon(v any) {
	defer d.closeTransport() // first in, last out: even if a log below panics
	defer d.timer.Stop()
	defer func() {
		if v := recover(); v != nil {
			d.logPanic(v)
		}
	}()
	p := d.logPanic(v)
	if d.panicked != nil {
		return
	}
	d.panicked = p
	if !d.opened {
		d.s.closeInfos()
		return
	}
	d.s.end(time.Now(), CloseAbnormal, p)
	d.flush()
}

// closeTransport closes t once, whatever its Close does: a panic in it is
// logged.
func (d *driver) closeTransport() {
	if d.closed {
		return
	}
	d.closed = true
	defer func() {
		if v := recover(); v != nil {
			d.logPanic(v)
		}
	}()
	d.t.Close()
}

// logPanic logs v, a panic that no callback's recover caught, and returns
// it as a [*PanicError].
func (d *driver) logPanic(v any) *PanicError {
	return d.s.logPanic("sock: a hook or the transport panicked", v)
}
