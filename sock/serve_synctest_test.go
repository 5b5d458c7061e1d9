package sock_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sockkit/sockkit/sock"
)

// These tests run the real Serve driver — its goroutines, its runtime
// timers, its mail delivery — inside a testing/synctest bubble, over the
// channel-based fakeTransport of serve_test.go. Time in the bubble is virtual
// and moves only when every goroutine is durably blocked, so each timeout can
// be shown to fire exactly when configured: nothing a nanosecond before, its
// frame or Serve's return at that instant. synctest.Test waits for every
// goroutine of the bubble and fails if one is left blocked, so Serve leaves
// none behind.

// serveInBubble runs Serve as serve does and, should the test stop early,
// closes the transport at cleanup so that Serve and its reader still end
// inside the bubble instead of deadlocking it.
func serveInBubble(t *testing.T, ctx context.Context, tr *fakeTransport, h sock.Handler, opts *sock.Options) <-chan error {
	t.Helper()
	done := serve(t, ctx, tr, h, opts)
	t.Cleanup(func() { tr.Close() })
	return done
}

// settleAt sleeps until d after start on the bubble's clock and waits until
// every other goroutine of the bubble is durably blocked.
func settleAt(start time.Time, d time.Duration) {
	time.Sleep(time.Until(start.Add(d)))
	synctest.Wait()
}

// wantQuiet fails the test if the server has written a frame or Serve has
// returned. It takes nothing from either channel.
func wantQuiet(tb testing.TB, tr *fakeTransport, done <-chan error, start time.Time) {
	tb.Helper()
	if n := len(tr.wrote); n > 0 {
		tb.Errorf("at %v the server had written %d frames, want none yet", time.Since(start), n)
	}
	if len(done) > 0 {
		tb.Errorf("at %v Serve had returned, want it still running", time.Since(start))
	}
}

// wantWrittenAt checks that the server writes nothing until d after start
// and then, at d exactly, the frames want.
func wantWrittenAt(tb testing.TB, tr *fakeTransport, done <-chan error, start time.Time, d time.Duration, want ...string) {
	tb.Helper()
	settleAt(start, d-time.Nanosecond)
	wantQuiet(tb, tr, done, start)
	settleAt(start, d)
	if n := len(tr.wrote); n != len(want) {
		tb.Fatalf("at %v the server had written %d frames, want %d: %q", d, n, len(want), want)
	}
	for _, w := range want {
		if got := tr.next(tb); got != w {
			tb.Errorf("frame written at %v = %s, want %s", d, got, w)
		}
	}
}

// wantServedAt checks that Serve runs until d after start (if that is still
// ahead) and has returned at d exactly, having closed the transport and
// outlived its reader, and returns Serve's result.
func wantServedAt(tb testing.TB, tr *fakeTransport, done <-chan error, start time.Time, d time.Duration) error {
	tb.Helper()
	if time.Since(start) < d {
		settleAt(start, d-time.Nanosecond)
		if len(done) > 0 {
			tb.Errorf("Serve returned before %v", d)
		}
	}
	settleAt(start, d)
	if len(done) == 0 {
		tb.Fatalf("at %v Serve is still running", d)
	}
	return wantServed(tb, tr, done)
}

func TestServeSynctestIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		tr := newFakeTransport()
		h := &recorder{}
		done := serveInBubble(t, t.Context(), tr, h, &sock.Options{IdleTimeout: 30 * time.Second})

		// A message at 10s restarts the idle clock: the timeout is due at 40s.
		settleAt(start, 10*time.Second)
		tr.send(t, sock.Text("still here"))
		wantWrittenAt(t, tr, done, start, 40*time.Second, `close 1001 "idle timeout"`)
		if err := wantServedAt(t, tr, done, start, 40*time.Second); err != nil {
			t.Errorf("Serve() = %v, want nil after an idle timeout", err)
		}
		wantCalls(t, h, "init", `in text "still here"`, `terminate timeout 1001 "idle timeout"`)
		wantReason(t, h.reason(t), sock.ReasonTimeout, sock.CloseGoingAway, "idle timeout", nil)
	})
}

func TestServeSynctestKeepalive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		tr := newFakeTransport()
		h := &recorder{}
		done := serveInBubble(t, t.Context(), tr, h, &sock.Options{
			PingInterval: 10 * time.Second,
			PongTimeout:  3 * time.Second,
			IdleTimeout:  -1,
		})
		ping := sock.Frame{Op: sock.OpPing}.String()

		wantWrittenAt(t, tr, done, start, 10*time.Second, ping)
		// Answered at 12s, before the pong timeout (13s): the connection
		// lives, and the next ping is due one interval after the first.
		settleAt(start, 12*time.Second)
		tr.send(t, sock.Frame{Op: sock.OpPong})
		wantWrittenAt(t, tr, done, start, 20*time.Second, ping)
		// Unanswered: the pong timeout ends the connection at 23s.
		wantWrittenAt(t, tr, done, start, 23*time.Second, `close 1001 "pong timeout"`)
		if err := wantServedAt(t, tr, done, start, 23*time.Second); err != nil {
			t.Errorf("Serve() = %v, want nil after a pong timeout", err)
		}
		wantCalls(t, h, "init", "control pong", `terminate timeout 1001 "pong timeout"`)
		wantReason(t, h.reason(t), sock.ReasonTimeout, sock.CloseGoingAway, "pong timeout", nil)
	})
}

func TestServeSynctestTimers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		tr := newFakeTransport()
		var cancelled *sock.Timer
		conns := make(chan *sock.Conn, 1)
		h := &recorder{
			init: func(c *sock.Conn) sock.Result {
				conns <- c
				c.After(3*time.Second, "a")
				c.After(7*time.Second, "b")
				c.After(7*time.Second, "c") // due with b: fires after it
				cancelled = c.After(5*time.Second, "cancelled")
				return sock.Continue()
			},
			// Each info is pushed back with the session's clock, which
			// under Serve is the wall clock: here, the bubble's.
			info: func(c *sock.Conn, info any) sock.Result {
				if info == "a" {
					c.After(time.Second, "set by a")
					if !cancelled.Stop() {
						t.Errorf("Timer.Stop() = false for a pending timer, want true")
					}
				}
				return sock.Push(sock.Text(info.(string) + " at " + c.Now().Sub(start).String()))
			},
		}
		done := serveInBubble(t, t.Context(), tr, h, nil)

		wantWrittenAt(t, tr, done, start, 3*time.Second, `text "a at 3s"`)
		wantWrittenAt(t, tr, done, start, 4*time.Second, `text "set by a at 4s"`)
		// Mail is delivered at once, on the same clock.
		settleAt(start, 6*time.Second)
		if err := (<-conns).SendInfo("mail"); err != nil {
			t.Fatalf("Send = %v, want nil", err)
		}
		synctest.Wait()
		if got := tr.next(t); got != `text "mail at 6s"` {
			t.Errorf("frame = %s, want text \"mail at 6s\"", got)
		}
		wantWrittenAt(t, tr, done, start, 7*time.Second, `text "b at 7s"`, `text "c at 7s"`)
		settleAt(start, 8*time.Second)
		tr.send(t, sock.CloseFrame(sock.CloseNormal, ""))
		if got := tr.next(t); got != `close 1000 ""` {
			t.Errorf("answer to the client's close = %s, want close 1000", got)
		}
		if err := wantServedAt(t, tr, done, start, 8*time.Second); err != nil {
			t.Errorf("Serve() = %v, want nil after the client's close", err)
		}
		wantCalls(t, h, "init", "info a", "info set by a", "info mail", "info b", "info c", "terminate remote 1000")
	})
}

func TestServeSynctestCloseTimeout(t *testing.T) {
	t.Run("handler stops", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			tr := newFakeTransport()
			h := &recorder{init: func(*sock.Conn) sock.Result { return sock.Stop() }}
			done := serveInBubble(t, t.Context(), tr, h, &sock.Options{CloseTimeout: 5 * time.Second})
			synctest.Wait()
			if got := tr.next(t); got != `close 1000 ""` {
				t.Errorf("frame = %s, want close 1000", got)
			}
			// The client never answers: Serve gives up at the CloseTimeout.
			if err := wantServedAt(t, tr, done, start, 5*time.Second); err != nil {
				t.Errorf("Serve() = %v, want nil", err)
			}
			wantReason(t, h.reason(t), sock.ReasonNormal, sock.CloseNormal, "", nil)
		})
	})
	t.Run("shutdown", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			tr := newFakeTransport()
			h := &recorder{}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			done := serveInBubble(t, ctx, tr, h, &sock.Options{CloseTimeout: 5 * time.Second})
			settleAt(start, 2*time.Second)
			cancel()
			synctest.Wait()
			if got := tr.next(t); got != `close 1001 "server shutdown"` {
				t.Errorf("frame after cancel = %s, want close 1001", got)
			}
			if err := wantServedAt(t, tr, done, start, 7*time.Second); err != nil {
				t.Errorf("Serve() = %v, want nil after a shutdown", err)
			}
			wantReason(t, h.reason(t), sock.ReasonShutdown, sock.CloseGoingAway, "server shutdown", nil)
		})
	})
}
