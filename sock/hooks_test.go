package sock_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sockkit/sockkit/sock"
)

// hookLog returns Hooks that log every call as a line.
func hookLog() (*sock.Hooks, *[]string) {
	var log []string
	add := func(format string, a ...any) { log = append(log, fmt.Sprintf(format, a...)) }
	return &sock.Hooks{
		Opened:      func(*sock.Conn) { add("opened") },
		Received:    func(_ *sock.Conn, op sock.Opcode, n int) { add("received %s %d", op, n) },
		Sent:        func(_ *sock.Conn, op sock.Opcode, n int) { add("sent %s %d", op, n) },
		RoundTrip:   func(_ *sock.Conn, rtt time.Duration) { add("rtt %v", rtt) },
		InfoDropped: func(*sock.Conn) { add("info dropped") },
		Bug: func(_ *sock.Conn, err error) {
			var p *sock.PanicError
			add("bug panic=%v badresult=%v", errors.As(err, &p), errors.Is(err, sock.ErrBadResult))
		},
		Terminated: func(_ *sock.Conn, r sock.Reason, lived time.Duration) {
			add("terminated %s %d after %v", r.Kind, r.Code, lived)
		},
	}, &log
}

// The hooks hear of every kind of event, once each, with sizes and times
// on the session's clock.
func TestHooks(t *testing.T) {
	hooks, log := hookLog()
	h := &recorder{in: func(c *sock.Conn, f sock.Frame) sock.Result {
		if string(f.Payload) == "panic" {
			panic("boom")
		}
		return sock.Push(f)
	}}
	s := newSession(t, h, &sock.Options{Hooks: hooks, PingInterval: time.Second, InfoQueueSize: 1})
	s.Open(t0)
	s.Receive(at(10*time.Millisecond), sock.Text("hello"))
	s.Output()
	s.Receive(at(20*time.Millisecond), sock.Frame{Op: sock.OpPing, Payload: []byte("p")})
	s.Output()
	s.Tick(at(time.Second)) // the keepalive ping
	s.Output()
	if s.Conn().RTT() != 0 {
		t.Errorf("RTT before any pong: %v", s.Conn().RTT())
	}
	s.Receive(at(time.Second+30*time.Millisecond), sock.Frame{Op: sock.OpPong})
	if got := s.Conn().RTT(); got != 30*time.Millisecond {
		t.Errorf("RTT = %v, want 30ms", got)
	}
	s.Receive(at(time.Second+40*time.Millisecond), sock.Frame{Op: sock.OpPong}) // unasked: no round trip
	s.Conn().SendInfo("a")
	s.Conn().SendInfo("b") // the queue holds one
	s.Receive(at(2*time.Second), sock.Text("panic"))
	s.Output()
	want := []string{
		"opened",
		"received text 5", "sent text 5",
		"received ping 1", "sent pong 1",
		"sent ping 0",
		"received pong 0", "rtt 30ms",
		"received pong 0",
		"info dropped",
		"received text 5", "bug panic=true badresult=false", "terminated error 1011 after 2s", "sent close 2",
	}
	if diff := cmp.Diff(want, *log); diff != "" {
		t.Errorf("hooks (-want +got):\n%s", diff)
	}
}

// A Result sock refuses is a bug; the hooks hear of it, and Terminated
// comes after Terminate with the final reason.
func TestHooksBadResult(t *testing.T) {
	hooks, log := hookLog()
	h := &recorder{in: func(*sock.Conn, sock.Frame) sock.Result { return sock.Close(999, "") }}
	s := newSession(t, h, &sock.Options{Hooks: hooks})
	s.Open(t0)
	s.Receive(at(time.Millisecond), sock.Text("x"))
	got := strings.Join(*log, "; ")
	if want := "opened; received text 1; bug panic=false badresult=true; terminated error 1011 after 1ms"; got != want {
		t.Errorf("hooks: %s\nwant:  %s", got, want)
	}
}
