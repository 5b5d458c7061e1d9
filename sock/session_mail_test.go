package sock_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"weak"

	"github.com/google/go-cmp/cmp"

	"github.com/sockkit/sockkit/sock"
)

// send calls c.Send for each info and fails the test on the first error.
func send(tb testing.TB, c *sock.Conn, infos ...any) {
	tb.Helper()
	for _, info := range infos {
		if err := c.SendInfo(info); err != nil {
			tb.Fatalf("Send(%v) = %v, want nil", info, err)
		}
	}
}

// startNotified starts h like start, with a channel that NotifyInfo fills
// with a token whenever mail arrives in an empty mailbox.
func startNotified(tb testing.TB, h sock.Handler, opts *sock.Options) (*sock.Session, chan struct{}) {
	tb.Helper()
	s := newSession(tb, h, opts)
	ready := make(chan struct{}, 1)
	s.NotifyInfo(func() {
		select {
		case ready <- struct{}{}:
		default:
		}
	})
	s.Open(t0)
	return s, ready
}

// mailReady reports whether ready holds a token, taking it.
func mailReady(ready chan struct{}) bool {
	select {
	case <-ready:
		return true
	default:
		return false
	}
}

func TestDeliverInfoInOrder(t *testing.T) {
	h := &recorder{info: func(c *sock.Conn, info any) sock.Result {
		return sock.Push(sock.Text(fmt.Sprint(info)))
	}}
	s, ready := startNotified(t, h, nil)
	if mailReady(ready) {
		t.Errorf("NotifyInfo fired with nothing sent, want not ready")
	}
	send(t, s.Conn(), "a", "b", 3)
	if !mailReady(ready) {
		t.Errorf("NotifyInfo did not fire after Send")
	}
	wantCalls(t, h, "init") // Send does not deliver
	s.DeliverInfo(at(time.Second))
	wantCalls(t, h, "init", "info a", "info b", "info 3")
	wantOutput(t, s, `text "a"`, `text "b"`, `text "3"`)

	s.DeliverInfo(at(2 * time.Second)) // nothing twice
	wantCalls(t, h, "init", "info a", "info b", "info 3")

	send(t, s.Conn(), "c")
	s.DeliverInfo(at(3 * time.Second))
	wantCalls(t, h, "init", "info a", "info b", "info 3", "info c")
}

func TestSendFromHandleInfo(t *testing.T) {
	// A message a handler sends itself waits for the next DeliverInfo.
	h := &recorder{}
	h.info = func(c *sock.Conn, info any) sock.Result {
		if n := info.(int); n < 3 {
			send(t, c, n+1)
		}
		return sock.Continue()
	}
	s, ready := startNotified(t, h, nil)
	send(t, s.Conn(), 1)
	s.DeliverInfo(at(time.Second))
	wantCalls(t, h, "init", "info 1")
	if !mailReady(ready) {
		t.Fatalf("NotifyInfo did not fire after a Send from HandleInfo")
	}
	s.DeliverInfo(at(time.Second))
	s.DeliverInfo(at(time.Second))
	wantCalls(t, h, "init", "info 1", "info 2", "info 3")
}

func TestMailboxFull(t *testing.T) {
	tests := []struct {
		name string
		opts *sock.Options
		size int
	}{
		{"default 256", nil, 256},
		{"InfoQueueSize 2", &sock.Options{InfoQueueSize: 2}, 2},
		{"InfoQueueSize 1", &sock.Options{InfoQueueSize: 1}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []any
			h := &recorder{info: func(c *sock.Conn, info any) sock.Result {
				got = append(got, info)
				return sock.Continue()
			}}
			s := start(t, h, tt.opts)
			c := s.Conn()
			var want []any
			for i := range tt.size {
				send(t, c, i)
				want = append(want, i)
			}
			if err := c.SendInfo("extra"); !errors.Is(err, sock.ErrInfoQueueFull) {
				t.Errorf("Send to a full mailbox = %v, want ErrInfoQueueFull", err)
			}
			if err := c.SendInfo("extra"); !errors.Is(err, sock.ErrInfoQueueFull) {
				t.Errorf("second Send to a full mailbox = %v, want ErrInfoQueueFull", err)
			}
			s.DeliverInfo(at(time.Second))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("delivered mismatch (-want +got):\n%s", diff)
			}
			// Delivering makes room again.
			send(t, c, "after")
			s.DeliverInfo(at(2 * time.Second))
			if diff := cmp.Diff(append(want, "after"), got); diff != "" {
				t.Errorf("delivered mismatch (-want +got):\n%s", diff)
			}
			if s.Done() || len(h.reasons) != 0 {
				t.Errorf("session ended (%v), want a full mailbox to leave it open", h.reasons)
			}
		})
	}
}

func TestSendAfterTerminate(t *testing.T) {
	tests := append(endings(), ending{"idle timeout", func(s *sock.Session) { s.Tick(at(time.Minute)) }})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fromTerminate error
			h := &recorder{
				in:   func(*sock.Conn, sock.Frame) sock.Result { return sock.Stop() },
				term: func(c *sock.Conn, r sock.Reason) { fromTerminate = c.SendInfo("from terminate") },
			}
			s := start(t, h, nil)
			send(t, s.Conn(), "queued") // dropped: the connection terminates first
			tt.drive(s)
			if !errors.Is(fromTerminate, sock.ErrClosed) {
				t.Errorf("Send from Terminate = %v, want ErrClosed", fromTerminate)
			}
			if err := s.Conn().SendInfo("late"); !errors.Is(err, sock.ErrClosed) {
				t.Errorf("Send after Terminate = %v, want ErrClosed", err)
			}
			s.DeliverInfo(at(2 * time.Second))
			s.Tick(at(time.Hour))
			s.DeliverInfo(at(time.Hour))
			for _, c := range h.calls {
				if strings.HasPrefix(c, "info ") {
					t.Errorf("calls = %q, want no info after Terminate", h.calls)
					break
				}
			}
			if err := s.Conn().SendInfo("later"); !errors.Is(err, sock.ErrClosed) {
				t.Errorf("Send after Done = %v, want ErrClosed", err)
			}
		})
	}
}

func TestDeliverInfoStopsAtClose(t *testing.T) {
	h := &recorder{info: func(c *sock.Conn, info any) sock.Result {
		if info == "b" {
			return sock.Push(sock.Text("bye")).Close(4000, "b")
		}
		return sock.Push(sock.Text(info.(string)))
	}}
	s := start(t, h, nil)
	send(t, s.Conn(), "a", "b", "c", "d")
	s.DeliverInfo(at(time.Second))
	wantOutput(t, s, `text "a"`, `text "bye"`, `close 4000 "b"`)
	r := h.reason(t)
	wantCalls(t, h, "init", "info a", "info b", "terminate "+r.String())
}

func TestInfoWithoutHandleInfo(t *testing.T) {
	h := &recorder{}
	s := start(t, basic{h}, nil)
	send(t, s.Conn(), "x", "y")
	s.DeliverInfo(at(time.Second))
	wantCalls(t, h, "init")
	wantOutput(t, s)
	if s.Done() || len(h.reasons) != 0 {
		t.Errorf("session ended (%v), want dropped info to leave it open", h.reasons)
	}
	// The mailbox keeps working.
	send(t, s.Conn(), "z")
	s.Receive(at(2*time.Second), sock.Text("still here"))
	wantCalls(t, h, "init", `in text "still here"`)
}

// TestSendConcurrently sends from several goroutines while the session
// delivers, as Serve does, and checks that no message is lost and each
// sender's messages arrive in order. Run it with -race.
func TestSendConcurrently(t *testing.T) {
	const senders, each = 4, 200
	type msg struct{ from, n int }
	var got []msg
	h := &recorder{info: func(c *sock.Conn, info any) sock.Result {
		got = append(got, info.(msg))
		return sock.Continue()
	}}
	s, ready := startNotified(t, h, &sock.Options{InfoQueueSize: senders * each})
	c := s.Conn()

	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for from := range senders {
		wg.Go(func() {
			for n := range each {
				if err := c.SendInfo(msg{from, n}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	sent := make(chan struct{})
	go func() { wg.Wait(); close(sent) }()

	now := t0
	for done := false; !done; {
		select {
		case <-ready:
		case <-sent:
			done = true
		}
		now = now.Add(time.Millisecond)
		s.DeliverInfo(now)
	}
	close(errs)
	for err := range errs {
		t.Errorf("Send = %v, want nil", err)
	}

	if len(got) != senders*each {
		t.Errorf("delivered %d messages, want %d", len(got), senders*each)
	}
	next := make([]int, senders)
	for _, m := range got {
		if m.n != next[m.from] {
			t.Errorf("from sender %d got message %d, want %d", m.from, m.n, next[m.from])
		}
		next[m.from] = m.n + 1
	}
}

// Delivered infos must not stay reachable from the Conn (which a registry may
// hold long after the connection ended): the mailbox reuses its buffers, and
// must clear what it handed out.
func TestDeliverInfoDoesNotRetainInfo(t *testing.T) {
	h := &recorder{} // logs a string, keeps no reference to the info
	s := start(t, h, nil)
	sendBig := func() weak.Pointer[[1 << 16]byte] {
		big := new([1 << 16]byte)
		send(t, s.Conn(), big)
		return weak.Make(big)
	}
	reachable := func(w weak.Pointer[[1 << 16]byte]) bool {
		runtime.GC()
		return w.Value() != nil
	}

	delivered := sendBig()
	s.DeliverInfo(at(time.Second))
	if reachable(delivered) {
		t.Errorf("an info HandleInfo did not keep is still reachable after DeliverInfo, want it released")
	}

	last := sendBig()
	s.DeliverInfo(at(2 * time.Second))
	s.Receive(at(3*time.Second), sock.CloseFrame(sock.CloseNormal, ""))
	if !s.Done() {
		t.Fatalf("Done() = false after the client's close, want true")
	}
	if reachable(last) {
		t.Errorf("the last delivered info is still reachable from the terminated connection, want it released")
	}

	refused := func() weak.Pointer[[1 << 16]byte] {
		big := new([1 << 16]byte)
		if err := s.Conn().SendInfo(big); !errors.Is(err, sock.ErrClosed) {
			t.Errorf("Send after Done = %v, want ErrClosed", err)
		}
		return weak.Make(big)
	}()
	if reachable(refused) {
		t.Errorf("an info refused with ErrClosed is still reachable, want it released")
	}
	runtime.KeepAlive(s)
}

func TestNotifyInfo(t *testing.T) {
	h := &recorder{}
	s := newSession(t, h, &sock.Options{InfoQueueSize: 2})
	var notified int
	s.NotifyInfo(func() { notified++ })
	s.Open(t0)
	c := s.Conn()

	steps := []struct {
		name         string
		do           func()
		wantNotified int
	}{
		{"first Send into an empty mailbox", func() { send(t, c, 1) }, 1},
		{"Send into a non-empty mailbox", func() { send(t, c, 2) }, 1},
		{"Send into a full mailbox", func() { _ = c.SendInfo(3) }, 1},
		{"DeliverInfo", func() { s.DeliverInfo(at(time.Second)) }, 1},
		{"Send after the mailbox was drained", func() { send(t, c, 4) }, 2},
		{"client close", func() { s.Receive(at(2*time.Second), sock.CloseFrame(sock.CloseNormal, "")) }, 2},
		{"Send after Terminate", func() { _ = c.SendInfo(5) }, 2},
	}
	for _, step := range steps {
		step.do()
		if notified != step.wantNotified {
			t.Errorf("after %s: notify called %d times in all, want %d", step.name, notified, step.wantNotified)
		}
	}
	wantCalls(t, h, "init", "info 1", "info 2", `terminate remote 1000`)
}

// TestNotifyInfoRunsOutsideTheLock sends from notify itself: if notify ran
// with the mailbox locked, this would deadlock.
func TestNotifyInfoRunsOutsideTheLock(t *testing.T) {
	h := &recorder{}
	s := newSession(t, h, nil)
	var errs []error
	s.NotifyInfo(func() {
		if len(errs) == 0 {
			errs = append(errs, s.Conn().SendInfo("from notify"))
		}
	})
	s.Open(t0)
	send(t, s.Conn(), "first")
	if len(errs) != 1 || errs[0] != nil {
		t.Errorf("Send from notify = %v, want nil", errs)
	}
	s.DeliverInfo(at(time.Second))
	wantCalls(t, h, "init", "info first", "info from notify")
}

func TestNotifyInfoAfterSend(t *testing.T) {
	h := &recorder{}
	s := newSession(t, h, nil)
	send(t, s.Conn(), "early") // e.g. a registry published the Conn before the driver started
	notified := 0
	s.NotifyInfo(func() { notified++ })
	if notified != 1 {
		t.Fatalf("NotifyInfo with mail waiting notified %d times, want 1", notified)
	}
	s.Open(t0)
	s.DeliverInfo(t0)
	send(t, s.Conn(), "late")
	if notified != 2 {
		t.Errorf("Send into the emptied mailbox notified %d times in all, want 2", notified)
	}
	s.DeliverInfo(t0)
	wantCalls(t, h, "init", "info early", "info late")
}
