package sock_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockkit/sockkit/sock"
)

// A hook that panics, breaking the Hooks contract, ends its connection,
// not the program, on Serve's goroutine (Received) as on a timer's (Sent,
// for a keepalive ping): the panic is logged at Error with its stack (not
// as the peer's fault), Terminate receives it, the transport is closed and
// Serve returns it. A second panic, as the Session ends, is logged too,
// and the transport still closed.
func TestServeHookPanics(t *testing.T) {
	for _, tc := range []struct {
		name       string
		hooks      sock.Hooks
		pingEvery  time.Duration
		wantLogged []string
	}{
		{"on Serve's goroutine", sock.Hooks{Received: func(*sock.Conn, sock.Opcode, int) { panic("hook bug") }}, 0,
			[]string{`panic="hook bug"`}},
		{"on a timer's", sock.Hooks{Sent: func(_ *sock.Conn, op sock.Opcode, _ int) {
			if op == sock.OpPing {
				panic("hook bug")
			}
		}}, time.Millisecond, []string{`panic="hook bug"`}},
		{"again as the Session ends", sock.Hooks{
			Received:   func(*sock.Conn, sock.Opcode, int) { panic("hook bug") },
			Terminated: func(*sock.Conn, sock.Reason, time.Duration) { panic("second") },
		}, 0, []string{`panic="hook bug"`, `panic=second`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logger, logged := captureLogs()
			rec := &recorder{}
			tr := newFakeTransport()
			s := sock.NewSession(rec, sock.ConnInfo{}, &sock.Options{Hooks: &tc.hooks, PingInterval: tc.pingEvery, IdleTimeout: -1, Logger: logger})
			type outcome struct {
				err      error
				panicked any
			}
			done := make(chan outcome, 1)
			go func() {
				var o outcome
				defer func() { o.panicked = recover(); done <- o }()
				o.err = sock.Serve(context.Background(), tr, s)
			}()
			if tc.pingEvery == 0 {
				tr.send(t, sock.Text("hi"))
			}
			o := <-done
			select {
			case <-tr.closed:
			default:
				t.Error("the transport is still open")
			}
			var p *sock.PanicError
			if o.panicked != nil || !errors.As(o.err, &p) || p.Value != "hook bug" {
				t.Fatalf("Serve returned %v and panicked with %v; want the hook's panic returned", o.err, o.panicked)
			}
			if r := rec.reason(t); r.Kind != sock.ReasonError || !errors.As(r.Err, &p) || r.Code != sock.CloseAbnormal {
				t.Errorf("Terminate's reason %v, want the hook's panic, 1006", r)
			}
			out := logged()
			for _, want := range tc.wantLogged {
				if !strings.Contains(out, `level=ERROR msg="sock: a hook or the transport panicked"`) || !strings.Contains(out, want) {
					t.Errorf("logged:\n%s\nwant %s at Error", out, want)
				}
			}
			if strings.Contains(out, "the peer broke the protocol") {
				t.Errorf("logged:\n%s\nas the peer's fault", out)
			}
		})
	}
}

// Serve refuses a Session opened before, by another Serve say, before it
// touches it: that Serve's connection keeps its infos.
func TestServeASessionOpenedBefore(t *testing.T) {
	rec := &recorder{info: func(_ *sock.Conn, info any) sock.Result { return sock.Push(sock.Text(info.(string))) }}
	first, second := newFakeTransport(), newFakeTransport()
	s := newSession(t, rec, &sock.Options{IdleTimeout: -1})
	go sock.Serve(context.Background(), first, s)
	s.Conn().SendInfo("one")
	if got := first.next(t); got != `text "one"` {
		t.Fatalf("the first Serve wrote %s", got)
	}
	func() {
		defer func() {
			if v := recover(); v != "sock: Session opened twice" {
				t.Errorf("a second Serve panicked with %v, want \"sock: Session opened twice\"", v)
			}
		}()
		sock.Serve(context.Background(), second, s)
	}()
	s.Conn().SendInfo("two")
	select {
	case f := <-first.wrote:
		if got := f.String(); got != `text "two"` {
			t.Errorf("the first Serve wrote %s", got)
		}
	case <-time.After(5 * time.Second):
		t.Error("the info sent after the second Serve never went out on the first's transport")
	}
	first.Close()
}

// captureLogs returns a logger, for any goroutine, writing text at every
// level, and a function that returns what it wrote so far.
func captureLogs() (*slog.Logger, func() string) {
	var mu sync.Mutex
	var logs bytes.Buffer
	w := writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})), func() string {
		mu.Lock()
		defer mu.Unlock()
		return logs.String()
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// A hook's panic on the timer's or the shutdown's goroutine is what Serve
// returns, even when the connection was ending already, as on Serve's own.
func TestServeReturnsAPanicOnAnyGoroutine(t *testing.T) {
	hooks := &sock.Hooks{Terminated: func(*sock.Conn, sock.Reason, time.Duration) { panic("hook bug") }}
	for _, tc := range []struct {
		name string
		idle time.Duration
		end  func(tr *fakeTransport, cancel context.CancelFunc)
	}{
		{"the peer's close, on Serve's", -1, func(tr *fakeTransport, _ context.CancelFunc) { tr.send(t, sock.CloseFrame(1000, "")) }},
		{"an idle timeout, on the timer's", 20 * time.Millisecond, func(*fakeTransport, context.CancelFunc) {}},
		{"a shutdown, on the shutdown's", -1, func(_ *fakeTransport, cancel context.CancelFunc) { cancel() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			tr := newFakeTransport()
			rec := &recorder{in: func(*sock.Conn, sock.Frame) sock.Result { return sock.Continue() }}
			done := serve(t, ctx, tr, rec, &sock.Options{Hooks: hooks, IdleTimeout: tc.idle})
			tr.send(t, sock.Text("opened")) // Serve has started: the shutdown is registered
			tc.end(tr, cancel)
			var p *sock.PanicError
			if err := wantServed(t, tr, done); !errors.As(err, &p) || p.Value != "hook bug" {
				t.Errorf("Serve returned %v, want the hook's panic", err)
			}
		})
	}
}

// panicReader's ReadFrames takes its time to return, as a transport giving
// back its buffers would, and notes what is written after a hook panicked.
type panicReader struct {
	*fakeTransport
	panicked atomic.Bool
	mu       sync.Mutex
	late     []string
}

func (t *panicReader) ReadFrames(emit func(sock.Frame)) error {
	defer time.Sleep(50 * time.Millisecond)
	return t.fakeTransport.ReadFrames(emit)
}

func (t *panicReader) WriteFrame(f sock.Frame, deadline time.Time) error {
	if t.panicked.Load() {
		t.mu.Lock()
		t.late = append(t.late, f.String())
		t.mu.Unlock()
	}
	return t.fakeTransport.WriteFrame(f, deadline)
}

// Nothing runs on the Session from a panic on Serve's goroutine on, while
// the panic goes up through the transport: an info waiting stays there.
func TestServeNothingRunsAfterAPanic(t *testing.T) {
	tr := &panicReader{fakeTransport: newFakeTransport()}
	var late atomic.Bool
	rec := &recorder{info: func(*sock.Conn, any) sock.Result {
		late.Store(tr.panicked.Load())
		return sock.Push(sock.Text("late"))
	}}
	hooks := &sock.Hooks{Received: func(c *sock.Conn, _ sock.Opcode, _ int) {
		c.SendInfo("x")
		tr.panicked.Store(true)
		panic("hook bug")
	}}
	s := newSession(t, rec, &sock.Options{Hooks: hooks, IdleTimeout: -1})
	done := make(chan error, 1)
	go func() { done <- sock.Serve(context.Background(), tr, s) }()
	tr.send(t, sock.Text("hi"))
	<-done
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if late.Load() || len(tr.late) > 0 {
		t.Errorf("after the panic, HandleInfo ran (%v) and %q was written", late.Load(), tr.late)
	}
}

// An Opened hook that panics leaves the handler untouched, Init not having
// run: an info sent before Serve is not delivered, Terminate does not run,
// and the infos are refused from then on.
func TestServeOpenedPanics(t *testing.T) {
	for range 200 { // the delivery of the early info races with the panic
		rec := &recorder{info: func(*sock.Conn, any) sock.Result { return sock.Stop() }}
		tr := newFakeTransport()
		s := newSession(t, rec, &sock.Options{Hooks: &sock.Hooks{Opened: func(*sock.Conn) { panic("opened") }}, IdleTimeout: -1})
		s.Conn().SendInfo("early")
		var p *sock.PanicError
		if err := sock.Serve(context.Background(), tr, s); !errors.As(err, &p) {
			t.Fatalf("Serve returned %v, want the Opened hook's panic", err)
		}
		if len(rec.calls) > 0 || len(tr.wrote) > 0 {
			t.Fatalf("the handler was called (%q) and %d frames written, without Init", rec.calls, len(tr.wrote))
		}
		if err := s.Conn().SendInfo("late"); !errors.Is(err, sock.ErrClosed) {
			t.Fatalf("SendInfo after = %v, want ErrClosed", err)
		}
	}
}

// runtime.Goexit in a hook (a test's FailNow), then a panic as the Session
// ends: the transport is closed all the same.
func TestServeGoexitThenAPanic(t *testing.T) {
	tr := newFakeTransport()
	hooks := &sock.Hooks{
		Received:   func(*sock.Conn, sock.Opcode, int) { runtime.Goexit() },
		Terminated: func(*sock.Conn, sock.Reason, time.Duration) { panic("second") },
	}
	s := newSession(t, &recorder{}, &sock.Options{Hooks: hooks, IdleTimeout: -1})
	exited := make(chan any, 1)
	go func() {
		defer func() { exited <- recover() }()
		sock.Serve(context.Background(), tr, s)
	}()
	tr.send(t, sock.Text("hi"))
	if v := <-exited; v != nil {
		t.Errorf("the panic escaped: %v", v)
	}
	select {
	case <-tr.closed:
	default:
		t.Error("the transport is still open")
	}
}

// closeWatch notes what is written after Close.
type closeWatch struct {
	*fakeTransport
	mu    sync.Mutex
	after []string
}

func (t *closeWatch) WriteFrame(f sock.Frame, deadline time.Time) error {
	select {
	case <-t.closed:
		t.mu.Lock()
		t.after = append(t.after, f.String())
		t.mu.Unlock()
		return errors.New("closed")
	default:
		return t.fakeTransport.WriteFrame(f, deadline)
	}
}

// After a second panic on an info delivery's goroutine (the Bug and
// Terminated hooks, as a callback's panic ends the connection), nothing is
// written to the transport abandoned.
func TestServeNothingWrittenAfterAbandon(t *testing.T) {
	rec := &recorder{info: func(_ *sock.Conn, info any) sock.Result {
		if info == "boom" {
			panic("handler bug")
		}
		return sock.Push(sock.Text(info.(string)))
	}}
	tr := &closeWatch{fakeTransport: newFakeTransport()}
	hooks := &sock.Hooks{
		Bug:        func(*sock.Conn, error) { panic("bug hook") },
		Terminated: func(*sock.Conn, sock.Reason, time.Duration) { panic("terminated hook") },
	}
	s := newSession(t, rec, &sock.Options{Hooks: hooks, IdleTimeout: -1})
	s.Conn().SendInfo("a")
	s.Conn().SendInfo("boom")
	var p *sock.PanicError
	if err := sock.Serve(context.Background(), tr, s); !errors.As(err, &p) {
		t.Errorf("Serve returned %v, want a *PanicError", err)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.after) > 0 {
		t.Errorf("written after Close: %q", tr.after)
	}
}

// panickyClose is a transport whose Close panics.
type panickyClose struct{ *fakeTransport }

func (t panickyClose) Close() error {
	t.fakeTransport.Close()
	panic("close bug")
}

// A transport whose Close panics, on the timer's goroutine (an idle
// timeout), does not take the program down (were it to, this test binary
// would die): the panic is logged, and the connection ends as it would.
func TestServePanickyCloseOnTheTimer(t *testing.T) {
	logger, logged := captureLogs()
	tr := panickyClose{newFakeTransport()}
	s := sock.NewSession(&recorder{}, sock.ConnInfo{}, &sock.Options{IdleTimeout: 10 * time.Millisecond, Logger: logger})
	if err := sock.Serve(context.Background(), tr, s); err != nil {
		t.Errorf("Serve returned %v after an idle timeout", err)
	}
	if out := logged(); !strings.Contains(out, `panic="close bug"`) {
		t.Errorf("logged:\n%s\nwant Close's panic", out)
	}
}

// recovering is a transport that recovers a panic out of emit, against
// the Transport contract, and reads on.
type recovering struct{ *fakeTransport }

func (t recovering) ReadFrames(emit func(sock.Frame)) error {
	for {
		select {
		case f, ok := <-t.in:
			if !ok {
				return t.readErr
			}
			func() {
				defer func() { recover() }()
				emit(f)
			}()
		case <-t.closed:
			return net.ErrClosed
		}
	}
}

// A transport that recovers a hook's panic out of emit does not hang
// Serve: the connection ends at the next emit, or as ReadFrames returns.
func TestServeTransportRecoversAPanic(t *testing.T) {
	tr := recovering{newFakeTransport()}
	hooks := &sock.Hooks{Received: func(*sock.Conn, sock.Opcode, int) { panic("hook bug") }}
	s := newSession(t, &recorder{}, &sock.Options{Hooks: hooks, IdleTimeout: -1})
	done := make(chan error, 1)
	go func() { done <- sock.Serve(context.Background(), tr, s) }()
	tr.in <- sock.Text("one")
	select {
	case tr.in <- sock.Text("two"): // its emit finds the connection abandoned
	case <-tr.closed:
	}
	wantPanicReturned(t, done)
}

// runtime.Goexit in a hook on the timer's goroutine (a Sent hook, on a
// keepalive ping) ends the connection, as a panic there does.
func TestServeGoexitOnTheTimer(t *testing.T) {
	tr := newFakeTransport()
	hooks := &sock.Hooks{Sent: func(_ *sock.Conn, op sock.Opcode, _ int) {
		if op == sock.OpPing {
			runtime.Goexit()
		}
	}}
	s := newSession(t, &recorder{}, &sock.Options{Hooks: hooks, PingInterval: time.Millisecond, IdleTimeout: time.Hour})
	done := make(chan error, 1)
	go func() { done <- sock.Serve(context.Background(), tr, s) }()
	wantPanicReturned(t, done)
}

// wantPanicReturned waits up to 5 s for Serve to return a *PanicError.
func wantPanicReturned(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		var p *sock.PanicError
		if !errors.As(err, &p) {
			t.Errorf("Serve returned %v, want a *PanicError", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve has not returned: the connection is still open")
	}
}
