package sock_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockkit/sockkit/sock"
)

// fakeTransport is an in-memory sock.Transport. The test plays the client:
// it sends frames on in, reads what the server wrote from wrote, and closes
// in to make ReadFrames return readErr.
type fakeTransport struct {
	in       chan sock.Frame
	readErr  error
	wrote    chan sock.Frame
	writeErr func(f sock.Frame) error // if set and it returns an error, the write fails

	closed     chan struct{}
	closeOnce  sync.Once
	readerDone atomic.Bool
}

var _ sock.Transport = (*fakeTransport)(nil)

func newFakeTransport() *fakeTransport {
	return &fakeTransport{
		in:     make(chan sock.Frame),
		wrote:  make(chan sock.Frame, 64),
		closed: make(chan struct{}),
	}
}

func (t *fakeTransport) ReadFrames(emit func(sock.Frame)) error {
	defer t.readerDone.Store(true)
	for {
		select {
		case f, ok := <-t.in:
			if !ok {
				return t.readErr
			}
			emit(f)
			if f.Op == sock.OpClose {
				return nil
			}
		case <-t.closed:
			return net.ErrClosed
		}
	}
}

func (t *fakeTransport) WriteFrame(f sock.Frame, deadline time.Time) error {
	if deadline.IsZero() {
		panic("WriteFrame without a deadline")
	}
	if t.writeErr != nil {
		if err := t.writeErr(f); err != nil {
			return err
		}
	}
	t.wrote <- sock.Frame{Op: f.Op, Payload: bytes.Clone(f.Payload)}
	return nil
}

func (t *fakeTransport) Close() error {
	t.closeOnce.Do(func() { close(t.closed) })
	return nil
}

// send plays the client sending f; it fails the test if the server closed
// the transport instead of reading it.
func (t *fakeTransport) send(tb testing.TB, f sock.Frame) {
	tb.Helper()
	select {
	case t.in <- f:
	case <-t.closed:
		tb.Errorf("transport closed before the client sent %v", f)
	}
}

// next returns the next frame the server wrote, formatted.
func (t *fakeTransport) next(tb testing.TB) string {
	tb.Helper()
	select {
	case f := <-t.wrote:
		return f.String()
	case <-t.closed:
		select {
		case f := <-t.wrote:
			return f.String()
		default:
			tb.Fatalf("transport closed while waiting for a frame")
			return ""
		}
	}
}

// serve runs Serve in a goroutine; the returned channel yields its result.
func serve(tb testing.TB, ctx context.Context, tr *fakeTransport, h sock.Handler, opts *sock.Options) <-chan error {
	tb.Helper()
	s := newSession(tb, h, opts)
	done := make(chan error, 1)
	go func() { done <- sock.Serve(ctx, tr, s) }()
	return done
}

// wantServed waits for Serve's result and checks it closed the transport
// and outlived its reader.
func wantServed(tb testing.TB, tr *fakeTransport, done <-chan error) error {
	tb.Helper()
	err := <-done
	select {
	case <-tr.closed:
	default:
		tb.Errorf("Serve returned without closing the transport")
	}
	if !tr.readerDone.Load() {
		tb.Errorf("Serve returned before its reader goroutine")
	}
	return err
}

func TestServeEcho(t *testing.T) {
	tr := newFakeTransport()
	h := &recorder{
		init: func(c *sock.Conn) sock.Result { return sock.Push(sock.Text("welcome")) },
		in:   func(c *sock.Conn, f sock.Frame) sock.Result { return sock.Push(f) },
	}
	done := serve(t, t.Context(), tr, h, nil)
	if got := tr.next(t); got != `text "welcome"` {
		t.Errorf("first frame = %s, want text \"welcome\"", got)
	}
	tr.send(t, sock.Text("hi"))
	if got := tr.next(t); got != `text "hi"` {
		t.Errorf("echo = %s, want text \"hi\"", got)
	}
	tr.send(t, sock.Frame{Op: sock.OpPing, Payload: []byte{1}})
	if got := tr.next(t); got != "pong 01" {
		t.Errorf("answer to ping = %s, want pong 01", got)
	}
	tr.send(t, sock.CloseFrame(sock.CloseNormal, "bye"))
	if got := tr.next(t); got != `close 1000 ""` {
		t.Errorf("answer to close = %s, want close 1000", got)
	}
	if err := wantServed(t, tr, done); err != nil {
		t.Errorf("Serve() = %v, want nil after the client's close", err)
	}
	wantCalls(t, h, "init", `in text "hi"`, "control ping 01", `terminate remote 1000 "bye"`)
}

func TestServeShutdown(t *testing.T) {
	tr := newFakeTransport()
	h := &recorder{}
	ctx, cancel := context.WithCancel(t.Context())
	done := serve(t, ctx, tr, h, nil)
	cancel()
	if got := tr.next(t); got != `close 1001 "server shutdown"` {
		t.Errorf("frame after cancel = %s, want close 1001", got)
	}
	tr.send(t, sock.CloseFrame(sock.CloseGoingAway, ""))
	if err := wantServed(t, tr, done); err != nil {
		t.Errorf("Serve() = %v, want nil after a shutdown", err)
	}
	wantReason(t, h.reason(t), sock.ReasonShutdown, sock.CloseGoingAway, "server shutdown", nil)
}

// A context cancelled with ErrRestart as its cause closes with 1012.
func TestServeRestart(t *testing.T) {
	tr := newFakeTransport()
	h := &recorder{}
	ctx, cancel := context.WithCancelCause(t.Context())
	done := serve(t, ctx, tr, h, nil)
	cancel(sock.ErrRestart)
	if got := tr.next(t); got != `close 1012 "service restart"` {
		t.Errorf("frame after cancel = %s, want close 1012", got)
	}
	tr.send(t, sock.CloseFrame(sock.CloseServiceRestart, ""))
	if err := wantServed(t, tr, done); err != nil {
		t.Errorf("Serve() = %v, want nil after a restart", err)
	}
	wantReason(t, h.reason(t), sock.ReasonShutdown, sock.CloseServiceRestart, "service restart", nil)
}

func TestServeCloseTimeout(t *testing.T) {
	tr := newFakeTransport()
	h := &recorder{init: func(c *sock.Conn) sock.Result { return sock.Stop() }}
	done := serve(t, t.Context(), tr, h, &sock.Options{CloseTimeout: time.Millisecond})
	if got := tr.next(t); got != `close 1000 ""` {
		t.Errorf("frame = %s, want close 1000", got)
	}
	// The client never answers: Serve ends at the CloseTimeout.
	if err := wantServed(t, tr, done); err != nil {
		t.Errorf("Serve() = %v, want nil", err)
	}
	wantReason(t, h.reason(t), sock.ReasonNormal, sock.CloseNormal, "", nil)
}

func TestServeMailAndTimers(t *testing.T) {
	tr := newFakeTransport()
	conns := make(chan *sock.Conn, 1)
	h := &recorder{
		init: func(c *sock.Conn) sock.Result {
			conns <- c
			c.After(time.Millisecond, "timer")
			return sock.Continue()
		},
		info: func(c *sock.Conn, info any) sock.Result { return sock.Push(sock.Text(info.(string))) },
	}
	done := serve(t, t.Context(), tr, h, nil)
	c := <-conns
	if got := tr.next(t); got != `text "timer"` {
		t.Errorf("frame = %s, want text \"timer\"", got)
	}
	if err := c.SendInfo("mail"); err != nil {
		t.Fatalf("Send = %v, want nil", err)
	}
	if got := tr.next(t); got != `text "mail"` {
		t.Errorf("frame = %s, want text \"mail\"", got)
	}
	tr.send(t, sock.CloseFrame(sock.CloseNormal, ""))
	if got := tr.next(t); got != `close 1000 ""` {
		t.Errorf("frame = %s, want close 1000", got)
	}
	if err := wantServed(t, tr, done); err != nil {
		t.Errorf("Serve() = %v, want nil", err)
	}
	if err := c.SendInfo("late"); !errors.Is(err, sock.ErrClosed) {
		t.Errorf("Send after Serve returned = %v, want ErrClosed", err)
	}
}

// timeoutError is a write error that says it timed out, as net.Error does.
type timeoutError struct{}

func (timeoutError) Error() string { return "i/o timeout" }
func (timeoutError) Timeout() bool { return true }

func TestServeErrors(t *testing.T) {
	errReset := errors.New("connection reset by peer")
	errHandler := errors.New("handler failed")
	tests := []struct {
		name     string
		setup    func(tr *fakeTransport, h *recorder)
		client   func(t *testing.T, tr *fakeTransport)
		wantErrs []error
		wantCode sock.CloseCode
	}{
		{
			name:  "read error",
			setup: func(tr *fakeTransport, h *recorder) { tr.readErr = errReset },
			client: func(t *testing.T, tr *fakeTransport) {
				close(tr.in)
			},
			wantErrs: []error{sock.ErrConnectionLost, errReset},
			wantCode: sock.CloseAbnormal,
		},
		{
			name: "protocol error from the transport",
			setup: func(tr *fakeTransport, h *recorder) {
				tr.readErr = errors.Join(sock.ErrProtocol, errors.New("masked server frame"))
			},
			client: func(t *testing.T, tr *fakeTransport) {
				close(tr.in)
				if got := tr.next(t); got != `close 1002 ""` {
					t.Errorf("frame = %s, want close 1002", got)
				}
			},
			wantErrs: []error{sock.ErrProtocol},
			wantCode: sock.CloseProtocolError,
		},
		{
			name: "write timeout",
			setup: func(tr *fakeTransport, h *recorder) {
				tr.writeErr = func(sock.Frame) error { return &net.OpError{Op: "write", Err: timeoutError{}} }
				h.init = func(*sock.Conn) sock.Result { return sock.Push(sock.Text("stuck")) }
			},
			client:   func(t *testing.T, tr *fakeTransport) {},
			wantErrs: []error{sock.ErrWriteTimeout},
			wantCode: sock.CloseAbnormal,
		},
		{
			name: "write error",
			setup: func(tr *fakeTransport, h *recorder) {
				tr.writeErr = func(sock.Frame) error { return errReset }
				h.init = func(*sock.Conn) sock.Result { return sock.Push(sock.Text("lost")) }
			},
			client:   func(t *testing.T, tr *fakeTransport) {},
			wantErrs: []error{sock.ErrConnectionLost, errReset},
			wantCode: sock.CloseAbnormal,
		},
		{
			name: "handler error",
			setup: func(tr *fakeTransport, h *recorder) {
				h.in = func(*sock.Conn, sock.Frame) sock.Result { return sock.StopWith(errHandler) }
			},
			client: func(t *testing.T, tr *fakeTransport) {
				tr.send(t, sock.Text("x"))
				if got := tr.next(t); got != `close 1011 ""` {
					t.Errorf("frame = %s, want close 1011", got)
				}
				tr.send(t, sock.CloseFrame(sock.CloseInternalError, ""))
			},
			wantErrs: []error{errHandler},
			wantCode: sock.CloseInternalError,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newFakeTransport()
			h := &recorder{}
			tt.setup(tr, h)
			done := serve(t, t.Context(), tr, h, &sock.Options{Logger: slog.New(slog.DiscardHandler)})
			tt.client(t, tr)
			err := wantServed(t, tr, done)
			for _, want := range tt.wantErrs {
				if !errors.Is(err, want) {
					t.Errorf("Serve() = %v, want errors.Is(_, %v)", err, want)
				}
			}
			r := h.reason(t)
			if r.Kind != sock.ReasonError || r.Code != tt.wantCode {
				t.Errorf("Reason = %v, want error %d", r, int(tt.wantCode))
			}
		})
	}
}

// An info sent before a frame arrives is handled before it: a sender that
// saw SendInfo return, then made the peer send something, must not find
// the frame handled first — the close frame would drop the info.
func TestServeInfoBeforeLaterFrame(t *testing.T) {
	for range 200 {
		tr := newFakeTransport()
		conns := make(chan *sock.Conn, 1)
		var order []string // guarded by the Session's turns
		h := &recorder{
			init: func(c *sock.Conn) sock.Result { conns <- c; return sock.Continue() },
			info: func(_ *sock.Conn, info any) sock.Result { order = append(order, "info"); return sock.Continue() },
			in:   func(_ *sock.Conn, f sock.Frame) sock.Result { order = append(order, "in"); return sock.Continue() },
		}
		done := serve(t, t.Context(), tr, h, nil)
		c := <-conns
		if err := c.SendInfo("first"); err != nil {
			t.Fatal(err)
		}
		tr.send(t, sock.Text("then"))
		tr.send(t, sock.CloseFrame(sock.CloseNormal, ""))
		wantServed(t, tr, done)
		if len(order) != 2 || order[0] != "info" {
			t.Fatalf("handled %v, want [info in]", order)
		}
	}
}

// slowWrites is a fakeTransport whose writes take 40ms each, and which
// records how much of its deadline each write had when it began.
type slowWrites struct {
	*fakeTransport
	mu   sync.Mutex
	left []time.Duration
}

func (t *slowWrites) WriteFrame(f sock.Frame, deadline time.Time) error {
	t.mu.Lock()
	t.left = append(t.left, time.Until(deadline))
	t.mu.Unlock()
	time.Sleep(40 * time.Millisecond)
	return t.fakeTransport.WriteFrame(f, deadline)
}

// Every write gets WriteTimeout, or 15/16 of it at the least, from when it
// begins: not the frames of one callback together.
func TestServeWriteDeadlineForEachWrite(t *testing.T) {
	const timeout = 100 * time.Millisecond
	tr := &slowWrites{fakeTransport: newFakeTransport()}
	h := &recorder{init: func(*sock.Conn) sock.Result {
		return sock.Push(sock.Text("a"), sock.Text("b"), sock.Text("c"))
	}}
	s := newSession(t, h, &sock.Options{WriteTimeout: timeout})
	done := make(chan error, 1)
	go func() { done <- sock.Serve(t.Context(), tr, s) }()
	for range 3 {
		<-tr.wrote
	}
	tr.Close()
	<-done
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for i, left := range tr.left {
		if left < timeout-timeout/16-5*time.Millisecond { // 5ms for the clock between
			t.Errorf("write %d began with %v of its deadline left, want %v at least", i+1, left, timeout-timeout/16)
		}
	}
}
