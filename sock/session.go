package sock

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Session is the lifecycle of one connection as a state machine that never
// touches a socket, a goroutine or the wall clock. A driver — [Serve] for real
// transports, the simulator for virtual ones — feeds it events, each with the
// current time, then writes the frames [Session.Output] returns, closes the
// transport once [Session.Done] reports true, and calls [Session.Tick] at
// [Session.Deadline].
//
// The Session calls the handler's callbacks, validates their results, recovers
// their panics, checks text for UTF-8 and messages for size, answers pings,
// runs the closing handshake and enforces the timeouts of [Options].
//
// A Session is not safe for concurrent use: one goroutine at a time drives it,
// and that goroutine runs the callbacks.
type Session struct {
	handler Handler

	opts   Options
	conn   Conn
	state  state
	has    optional // the optional interfaces handler implements
	now    time.Time
	out    []Frame
	notify atomic.Pointer[func()] // set by NotifyInfo, for the info queue

	timers   timerHeap
	timerSeq uint64

	opened   time.Time    // when Open ran
	lastRead time.Time    // when the peer last sent anything
	nextPing time.Time    // when the next keepalive ping is due; zero without keepalive
	pongDue  time.Time    // when an unanswered keepalive ping times out; zero if none is
	closeDue time.Time    // when the closing handshake times out
	rtt      atomic.Int64 // the last keepalive round trip, in nanoseconds, for any goroutine

	reason Reason
}

// optional records which optional interfaces a handler implements, checked
// once in NewSession. Keeping bits rather than four interface values saves
// 64 bytes per connection; the type assertion at each call is cheap and
// cannot fail.
type optional uint8

const (
	hasInit optional = 1 << iota
	hasControl
	hasInfo
	hasTerminate
)

func optionalOf(h Handler) optional {
	var has optional
	if _, ok := h.(InitHandler); ok {
		has |= hasInit
	}
	if _, ok := h.(ControlHandler); ok {
		has |= hasControl
	}
	if _, ok := h.(InfoHandler); ok {
		has |= hasInfo
	}
	if _, ok := h.(TerminateHandler); ok {
		has |= hasTerminate
	}
	return has
}

type state uint8

const (
	stateNew     state = iota
	stateOpen          // callbacks run
	stateClosing       // Terminate ran and a close frame was sent: waiting for the peer's
	stateDone          // the transport is to be closed; events are ignored
)

// NewSession returns a Session for handler h on the connection described by
// info. Nothing happens until [Session.Open].
func NewSession(h Handler, info ConnInfo, opts *Options) *Session {
	if h == nil {
		panic("sock: NewSession with a nil Handler")
	}
	if info.ID == 0 {
		info.ID = lastConnID.Add(1)
	}
	s := &Session{handler: h, has: optionalOf(h), opts: opts.withDefaults()}
	s.conn = Conn{
		info:    info,
		base:    s.opts.Logger,
		session: s,
	}
	return s
}

// Conn returns the connection the handler sees.
func (s *Session) Conn() *Conn { return &s.conn }

// Options returns the options in force, defaults filled in.
func (s *Session) Options() Options { return s.opts }

// Output returns the frames to write, in order, queued since the previous
// call. The slice is reused: it is valid until the next call of any Session
// method, and the driver may clear it once written.
func (s *Session) Output() []Frame {
	out := s.out
	s.out = s.out[:0]
	if h := s.opts.Hooks; h != nil && h.Sent != nil {
		for _, f := range out {
			h.Sent(&s.conn, f.Op, len(f.Payload))
		}
	}
	return out
}

// Done reports whether the connection is over: Terminate has run and the
// driver should write the last Output and close the transport. Later events
// are ignored.
func (s *Session) Done() bool { return s.state == stateDone }

// Reason returns why the connection ended, or the zero Reason while it has
// not. It is the reason Terminate received, unless Terminate itself
// panicked: then it is [ReasonError] with the [*PanicError], and the same
// code and text.
func (s *Session) Reason() Reason { return s.reason }

// Deadline returns when the Session next wants [Session.Tick] called: the
// earliest timer, keepalive ping, pong, idle or closing-handshake deadline. It
// is the zero time when nothing is pending.
func (s *Session) Deadline() time.Time {
	switch s.state {
	case stateClosing:
		return s.closeDue
	case stateOpen:
		d := s.timers.next()
		for _, t := range [...]time.Time{s.pongDue, s.nextPing, s.idleDue()} {
			if !t.IsZero() && (d.IsZero() || t.Before(d)) {
				d = t
			}
		}
		return d
	}
	return time.Time{}
}

func (s *Session) idleDue() time.Time {
	if s.opts.IdleTimeout < 0 {
		return time.Time{}
	}
	return s.lastRead.Add(s.opts.IdleTimeout)
}

// Open starts the connection and runs Init.
func (s *Session) Open(now time.Time) {
	s.mustBeNew()
	s.now, s.opened, s.lastRead, s.state = now, now, now, stateOpen
	if s.opts.PingInterval > 0 {
		s.nextPing = now.Add(s.opts.PingInterval)
	}
	if h := s.opts.Hooks; h != nil && h.Opened != nil {
		h.Opened(&s.conn)
	}
	if s.has&hasInit != 0 {
		s.run(callInit, nil, nil)
	}
}

// mustBeNew panics unless the Session has not been opened.
func (s *Session) mustBeNew() {
	if s.state != stateNew {
		panic("sock: Session opened twice")
	}
}

// Receive handles a frame read from the peer: a whole text or binary message,
// a ping, a pong or a close frame; or a continuation frame, which says only
// that part of a message has arrived (see [Transport]). Whatever arrives is
// activity for [Options].IdleTimeout. f's payload is lent: the driver may
// reuse it once it has written the Output that follows.
func (s *Session) Receive(now time.Time, f Frame) {
	if !s.advance(now) {
		return
	}
	s.lastRead = now
	if h := s.opts.Hooks; h != nil && h.Received != nil && f.Op != OpContinuation {
		h.Received(&s.conn, f.Op, len(f.Payload))
	}
	if s.state == stateClosing {
		if f.Op == OpClose { // the peer's answer completes the closing handshake
			s.state = stateDone
		}
		return
	}
	// receiveControl, apart: 160 bytes less under every HandleIn (measured: 8 KiB idle stack without, path=json).
	if !f.Op.IsData() {
		s.receiveControl(&f)
		return
	}
	switch {
	case int64(len(f.Payload)) > s.opts.MaxMessageSize:
		s.fail(CloseTooBig, fmt.Errorf("%w: %d bytes, the limit is %d", ErrMessageTooBig, len(f.Payload), s.opts.MaxMessageSize))
	case f.Op == OpText && !utf8.Valid(f.Payload):
		s.fail(CloseInvalidPayload, ErrInvalidUTF8)
	default:
		s.run(callIn, &f, nil)
	}
}

// receiveControl handles a frame that is not a data message: a ping, a pong, a
// close frame or an opcode the Session does not take.
func (s *Session) receiveControl(f *Frame) {
	if f.Op.IsControl() && len(f.Payload) > maxControlPayload {
		s.fail(CloseProtocolError, fmt.Errorf("%w: %s frame of %d bytes", ErrProtocol, f.Op, len(f.Payload)))
		return
	}
	switch f.Op {
	case OpPing:
		pong := f.Payload
		if s.has&hasControl != 0 { // the handler may change f.Payload before the pong is written
			pong = append([]byte(nil), pong...)
		}
		s.out = append(s.out, Frame{Op: OpPong, Payload: pong})
		s.handleControl(f)
	case OpPong:
		if !s.pongDue.IsZero() { // the oldest unanswered keepalive ping was sent PongTimeout before
			sent := s.pongDue.Add(-s.opts.PongTimeout)
			s.pongDue = time.Time{}
			s.roundTrip(sent)
		}
		s.handleControl(f)
	case OpClose:
		code, text, err := f.ParseClose()
		if err != nil {
			s.fail(CloseProtocolError, err)
			return
		}
		s.out = append(s.out, CloseFrame(code, ""))
		s.terminate(Reason{Kind: ReasonRemote, Code: code, Text: text, Err: &CloseError{Code: code, Text: text}})
		s.state = stateDone
	case OpContinuation:
		// Part of a message arrived: activity, and nothing else to do.
	default:
		s.fail(CloseProtocolError, fmt.Errorf("%w: unexpected %s frame", ErrProtocol, f.Op))
	}
}

func (s *Session) handleControl(f *Frame) {
	if s.has&hasControl != 0 {
		s.run(callControl, f, nil)
	}
}

// Tick fires what is due at now: timers, keepalive pings, and the pong, idle
// and closing-handshake timeouts.
func (s *Session) Tick(now time.Time) {
	if !s.advance(now) {
		return
	}
	if s.state == stateClosing {
		if !now.Before(s.closeDue) {
			s.state = stateDone
		}
		return
	}
	s.fireTimers(now)
	if s.state != stateOpen {
		return
	}
	switch {
	case !s.pongDue.IsZero() && !now.Before(s.pongDue):
		s.closeNow(Reason{Kind: ReasonTimeout, Code: CloseGoingAway, Text: "pong timeout"})
	case s.opts.IdleTimeout >= 0 && !now.Before(s.idleDue()):
		s.closeNow(Reason{Kind: ReasonTimeout, Code: CloseGoingAway, Text: "idle timeout"})
	case !s.nextPing.IsZero() && !now.Before(s.nextPing):
		s.out = append(s.out, Frame{Op: OpPing})
		s.nextPing = now.Add(s.opts.PingInterval)
		if s.pongDue.IsZero() {
			s.pongDue = now.Add(s.opts.PongTimeout)
		}
	}
}

// Fail reports that the transport failed: a read or write error, a protocol
// violation it detected (wrap [ErrProtocol]), an oversize message
// ([ErrMessageTooBig]), a message it had no room for ([ErrBusy]) or a write
// timeout ([ErrWriteTimeout]). A nil err means the transport ended
// without a closing handshake.
func (s *Session) Fail(now time.Time, err error) {
	code := CloseAbnormal
	switch {
	case errors.Is(err, ErrProtocol):
		code = CloseProtocolError
	case errors.Is(err, ErrMessageTooBig):
		code = CloseTooBig
	case errors.Is(err, ErrInvalidUTF8):
		code = CloseInvalidPayload
	case errors.Is(err, ErrBusy):
		code = CloseTryAgainLater
	case err == nil:
		err = ErrConnectionLost
	case !errors.Is(err, ErrWriteTimeout) && !errors.Is(err, ErrConnectionLost):
		err = fmt.Errorf("%w: %w", ErrConnectionLost, err)
	}
	s.end(now, code, err)
}

// end ends the connection at once for err: with a close frame with code,
// unless code is CloseAbnormal, which is never sent. Terminate receives
// err, unless the connection was ending already.
func (s *Session) end(now time.Time, code CloseCode, err error) {
	if !s.advance(now) {
		return
	}
	if s.state == stateClosing {
		s.state = stateDone
		return
	}
	if code != CloseAbnormal {
		s.fail(code, err)
		return
	}
	s.terminate(Reason{Kind: ReasonError, Code: CloseAbnormal, Err: err})
	s.state = stateDone
}

// Shutdown closes the connection because the server is going away: close
// 1001, Terminate with [ReasonShutdown], then the closing handshake.
func (s *Session) Shutdown(now time.Time) { s.shutdown(now, false) }

// shutdown closes the connection for the server's shutdown: with 1012 if
// the server is restarting, 1001 otherwise.
func (s *Session) shutdown(now time.Time, restart bool) {
	r := Reason{Kind: ReasonShutdown, Code: CloseGoingAway, Text: "server shutdown"}
	if restart {
		r.Code, r.Text = CloseServiceRestart, "service restart"
	}
	if s.advance(now) && s.state == stateOpen {
		s.closeWithHandshake(r)
	}
}

// advance sets the clock for an event and reports whether the Session still
// takes events.
func (s *Session) advance(now time.Time) bool {
	if s.state == stateNew {
		panic("sock: Session used before Open")
	}
	s.now = now
	return s.state != stateDone
}

// run runs one callback and carries out its result. f is the frame for
// HandleIn and HandleControl, info the message for HandleInfo.
func (s *Session) run(cb callback, f *Frame, info any) {
	s.apply(s.call(cb, f, info))
}

// apply carries out a callback's result.
func (s *Session) apply(r Result) {
	if err := r.check(); err != nil {
		s.conn.Logger().Error("sock: handler bug", "err", err)
		s.bug(err)
		s.closeWithHandshake(Reason{Kind: ReasonError, Code: CloseInternalError, Err: err})
		return
	}
	if r.pushed {
		s.out = append(s.out, r.first)
		s.out = append(s.out, r.more...)
	}
	switch r.stop {
	case stopNormal, stopClose:
		s.closeWithHandshake(Reason{Kind: ReasonNormal, Code: r.code, Text: r.text})
	case stopError:
		s.closeWithHandshake(Reason{Kind: ReasonError, Code: r.code, Text: r.text, Err: r.err})
	}
}

// closeWithHandshake sends the close frame for r, runs Terminate and waits
// for the peer's close frame until the CloseTimeout.
func (s *Session) closeWithHandshake(r Reason) {
	s.out = append(s.out, CloseFrame(r.Code, r.Text))
	s.terminate(r)
	s.state, s.closeDue = stateClosing, s.now.Add(s.opts.CloseTimeout)
}

// closeNow sends the close frame for r, runs Terminate and closes the
// transport without waiting for the peer.
func (s *Session) closeNow(r Reason) {
	s.out = append(s.out, CloseFrame(r.Code, r.Text))
	s.terminate(r)
	s.state = stateDone
}

// fail closes at once because the peer broke a rule.
func (s *Session) fail(code CloseCode, err error) {
	s.closeNow(Reason{Kind: ReasonError, Code: code, Err: err})
}

// terminate ends the handler's life: no more infos or timers, then Terminate.
func (s *Session) terminate(r Reason) {
	s.reason = r
	s.state = stateClosing // no callback runs from here on, whatever the caller sets next
	s.closeInfos()
	s.dropTimers()
	defer s.ended() // after the recover below
	if s.has&hasTerminate == 0 {
		return
	}
	// A panic in Terminate is logged and becomes the connection's reason,
	// so that drivers and tests see it: Terminate has had the reason
	// before, and the close frame is already queued.
	defer func() {
		if v := recover(); v != nil {
			p := s.logPanic("sock: Terminate panicked", v)
			s.bug(p)
			s.reason = Reason{Kind: ReasonError, Code: s.reason.Code, Text: s.reason.Text, Err: p}
		}
	}()
	s.handler.(TerminateHandler).Terminate(&s.conn, r)
}

// ended logs the connection's end, one record at Info, and tells the
// hooks. What a peer did wrong is logged apart at Debug: a hostile client
// must not be able to fill the logs with its errors.
func (s *Session) ended() {
	r, lived := s.reason, s.now.Sub(s.opened)
	l := s.conn.Logger()
	peers := r.Kind == ReasonError && peersFault(r.Err)
	if peers {
		l.Debug("sock: the peer broke the protocol", "err", r.Err)
	}
	if l.Enabled(context.Background(), slog.LevelInfo) { // the attributes are built for nothing otherwise
		attrs := []any{"reason", r.Kind, "code", int(r.Code), "duration", lived}
		if r.Text != "" {
			attrs = append(attrs, "text", r.Text)
		}
		if r.Kind == ReasonError && !peers {
			attrs = append(attrs, "err", r.Err)
		}
		l.Info("sock: connection ended", attrs...)
	}
	if h := s.opts.Hooks; h != nil && h.Terminated != nil {
		h.Terminated(&s.conn, r, lived)
	}
}

// peersFault reports whether err is the peer's: a violation of the
// protocol, text that is not UTF-8, a message too big, a lost connection.
func peersFault(err error) bool {
	for _, e := range [...]error{ErrProtocol, ErrInvalidUTF8, ErrMessageTooBig, ErrConnectionLost} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// An enum, not a closure per callback: 208 bytes less under every callback (measured: 8 KiB idle stack without, path=json).
type callback uint8

const (
	callInit callback = iota
	callIn
	callControl
	callInfo
)

// logPanic logs v, a panic recovered, at Error with its stack, and returns
// it as a [*PanicError].
func (s *Session) logPanic(msg string, v any) *PanicError {
	p := &PanicError{Value: v, Stack: debug.Stack()}
	s.conn.Logger().Error(msg, "panic", v, "stack", string(p.Stack))
	return p
}

// call runs one callback and turns a panic into a close with 1011.
func (s *Session) call(cb callback, f *Frame, info any) (r Result) {
	defer func() {
		if v := recover(); v != nil {
			p := s.logPanic("sock: handler panicked", v)
			s.bug(p)
			r = Result{stop: stopError, code: CloseInternalError, err: p}
		}
	}()
	switch cb {
	case callInit:
		return s.handler.(InitHandler).Init(&s.conn)
	case callIn:
		return s.handler.HandleIn(&s.conn, *f)
	case callControl:
		return s.handler.(ControlHandler).HandleControl(&s.conn, *f)
	default:
		return s.handler.(InfoHandler).HandleInfo(&s.conn, info)
	}
}
