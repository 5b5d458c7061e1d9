package sockt_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sockt"
)

// faulty misbehaves on command, and its Terminate panics if told to, after
// working for a while if told to.
type faulty struct {
	terminatePanics bool
	work            time.Duration
}

func (faulty) HandleIn(c *sock.Conn, msg sock.Frame) sock.Result {
	switch string(msg.Payload) {
	case "panic":
		panic("boom")
	case "bad text":
		return sock.Push(sock.Frame{Op: sock.OpText, Payload: []byte{0xff}})
	case "loop":
		c.After(0, "again")
	case "keep":
		c.SendInfo(kept{msg}) // without copying the payload
		return sock.Continue()
	}
	return sock.Push(msg)
}

// kept is a frame a faulty handler kept past its callback.
type kept struct{ sock.Frame }

func (faulty) HandleInfo(c *sock.Conn, info any) sock.Result {
	if k, ok := info.(kept); ok {
		return sock.Push(k.Frame)
	}
	c.After(0, info) // forever
	return sock.Continue()
}

func (f faulty) Terminate(*sock.Conn, sock.Reason) {
	time.Sleep(f.work) // cleaning up takes time
	if f.terminatePanics {
		panic("in Terminate")
	}
}

// A handler bug that sock survives fails the test at cleanup, unless the
// test looked at how the connection ended.
func TestHandlerBugsFailTheTest(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler faulty
		body    func(c *sockt.Conn)
		want    string // in the one failure; "" for none
		simOnly bool
	}{
		{"Terminate panics", faulty{terminatePanics: true}, func(c *sockt.Conn) {
			c.Close(sock.CloseNormal, "")
			c.ExpectTerminate(sock.ReasonRemote)
		}, "handler bug: Terminate panicked: in Terminate", false},
		// Over loopback Terminate runs on the server's goroutine: sockt waits
		// for it to end before it looks for bugs.
		{"Terminate panics after working", faulty{terminatePanics: true, work: 50 * time.Millisecond}, func(c *sockt.Conn) {
			c.Close(sock.CloseNormal, "")
		}, "handler bug: Terminate panicked: in Terminate", false},
		{"HandleIn panics, unnoticed", faulty{}, func(c *sockt.Conn) {
			c.SendText("panic")
		}, "handler bug: HandleIn panicked: boom", false},
		{"HandleIn panics, looked at", faulty{}, func(c *sockt.Conn) {
			c.SendText("panic")
			c.ExpectClose(sock.CloseInternalError, "")
			c.ExpectTerminate(sock.ReasonError)
		}, "", false},
		{"text that is not UTF-8, unnoticed", faulty{}, func(c *sockt.Conn) {
			c.SendText("bad text")
		}, "handler bug: refused Result: sock: invalid handler result: text frame is not UTF-8", false},
		{"timer loop", faulty{}, func(c *sockt.Conn) {
			c.SendText("loop")
			c.ExpectText("loop")
		}, "handler bug: loop: the connection ran 1000 times", true},
		// The simulator overwrites a payload once its callback returned;
		// over loopback the buffer's reuse is up to the host.
		{"kept payload", faulty{}, func(c *sockt.Conn) {
			c.SendText("keep")
			c.Close(sock.CloseNormal, "")
			c.ExpectTerminate(sock.ReasonRemote)
		}, "handler bug: kept payload: the handler pushed the payload of a frame handed to an earlier callback", true},
	} {
		for _, m := range modes {
			if tc.simOnly && m.name != "sim" {
				continue // over loopback a timer loop spins for real
			}
			t.Run(tc.name+"/"+m.name, func(t *testing.T) {
				failures := sockt.Failures(func(ft sockt.TB) {
					tc.body(m.open(ft, func() sock.Handler { return tc.handler }, &sockt.Options{Wait: time.Second}))
				})
				switch {
				case tc.want == "" && len(failures) != 0:
					t.Errorf("failures: %q, want none", failures)
				case tc.want != "" && (len(failures) != 1 || !strings.Contains(failures[0], tc.want)):
					t.Errorf("failures: %q, want one containing %q", failures, tc.want)
				}
			})
		}
	}
}

// lastWord answers each message with the one before, which it kept
// without a copy and copies only later: no kept-payload bug, as nothing
// pushed points into a lent buffer, but what it pushes reads as the
// simulator's overwriting, and the failure says so.
type lastWord struct{ last []byte }

func (h *lastWord) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result {
	prev := h.last
	h.last = msg.Payload
	return sock.Push(sock.Text("after " + string(prev)))
}

func TestKeptPayloadHint(t *testing.T) {
	failures := sockt.Failures(func(ft sockt.TB) {
		c := sockt.New(ft, func() sock.Handler { return &lastWord{} }, nil)
		c.SendText("hello")
		c.ExpectText("after ")
		c.SendText("world")
		c.ExpectText("after hello")
	})
	if len(failures) != 1 || !strings.Contains(failures[0], "did the handler keep msg.Payload without copying it?") {
		t.Errorf("failures: %q, want one with the hint", failures)
	}
}
