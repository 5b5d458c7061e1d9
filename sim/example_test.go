package sim_test

import (
	"fmt"
	"time"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
)

// A simulation is a script: connect, act as the client, let time pass, read
// the trace. The same seed gives the same trace every time.
func Example() {
	w := sim.New(1)
	c := w.Connect(sock.HandlerFunc(func(_ *sock.Conn, msg sock.Frame) sock.Result {
		return sock.Push(msg)
	}), &sock.Options{IdleTimeout: 30 * time.Second})
	c.SendText("hello")
	c.SendFragmented(sock.OpText, [][]byte{[]byte("frag"), []byte("ments")}, sock.Frame{Op: sock.OpPing, Payload: []byte("!")})
	w.Advance(time.Minute) // nothing more comes: the idle timeout fires
	fmt.Print(w.Trace())
	// Output:
	// 0s c1 client connect
	// 0s c1 call Init
	// 0s c1 return continue
	// 0s c1 client text "hello"
	// 0s c1 call HandleIn text "hello"
	// 0s c1 return push [text "hello"]
	// 0s c1 server text "hello"
	// 0s c1 client fragment 1 of text "frag"
	// 0s c1 client ping 21
	// 0s c1 server pong 21
	// 0s c1 client fragment 2 of text "ments", final
	// 0s c1 call HandleIn text "fragments"
	// 0s c1 return push [text "fragments"]
	// 0s c1 server text "fragments"
	// 0s * clock +30s
	// 30s c1 terminate timeout 1001 "idle timeout"
	// 30s c1 server close 1001 "idle timeout"
	// 30s c1 closed transport
	// 30s * clock +30s
}

// A payload is lent to its callback: a handler that keeps one finds it
// overwritten once the callback has returned, and one that pushes it
// later is reported.
func Example_keptPayload() {
	w := sim.New(1)
	var last []byte
	c := w.Connect(sock.HandlerFunc(func(_ *sock.Conn, msg sock.Frame) sock.Result {
		prev := last
		last = msg.Payload // a bug: bytes.Clone(msg.Payload) would keep it
		if prev == nil {
			return sock.Continue()
		}
		return sock.Push(sock.Binary(prev))
	}), nil)
	c.SendBinary([]byte("one"))
	c.SendBinary([]byte("two"))
	for _, bug := range c.Bugs() {
		fmt.Println(bug)
	}
	// Output:
	// kept payload: the handler pushed the payload of a frame handed to an earlier callback; a payload is valid only until its callback returns: copy it to keep it (string(msg.Payload), bytes.Clone(msg.Payload))
}
