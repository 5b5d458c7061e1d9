package sock_test

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
)

// shout upper-cases text, says goodbye on "bye", and counts what it saw.
type shout struct{ seen int }

func (h *shout) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result {
	h.seen++
	if string(msg.Payload) == "bye" {
		return sock.Push(sock.Text("see you")).Close(4000, "client left")
	}
	return sock.Push(sock.Text(strings.ToUpper(string(msg.Payload))))
}

func (h *shout) Terminate(_ *sock.Conn, r sock.Reason) {
	fmt.Printf("terminate after %d messages: %v\n", h.seen, r)
}

// A handler is a small state machine: each callback returns what to push
// and whether to close. Here it runs in the simulator (package sim), which
// plays the client; in production sockhttp serves the very same value, and
// package sockt tests it.
func Example() {
	w := sim.New(1)
	client := w.Connect(&shout{}, nil)
	client.SendText("hello")
	client.SendText("bye")
	for f, ok := client.Read(); ok; f, ok = client.Read() {
		fmt.Println("client read", f)
	}
	// Output:
	// terminate after 2 messages: normal 4000 "client left"
	// client read text "HELLO"
	// client read text "see you"
	// client read close 4000 "client left"
}

func ExampleHandlerFunc() {
	echo := sock.HandlerFunc(func(_ *sock.Conn, msg sock.Frame) sock.Result {
		return sock.Push(msg)
	})
	client := sim.New(1).Connect(echo, nil)
	client.SendBinary([]byte{1, 2, 3})
	fmt.Println(client.Received())
	// Output:
	// [binary 010203]
}

// ticker pushes a tick every second, three times, with timers on the
// session's clock.
type ticker struct{ n int }

func (t *ticker) Init(c *sock.Conn) sock.Result {
	c.After(time.Second, "tick")
	return sock.Continue()
}

func (t *ticker) HandleIn(*sock.Conn, sock.Frame) sock.Result { return sock.Continue() }

func (t *ticker) HandleInfo(c *sock.Conn, info any) sock.Result {
	t.n++
	if t.n == 3 {
		return sock.Push(sock.Text(fmt.Sprint(info, t.n))).Stop()
	}
	c.After(time.Second, info)
	return sock.Push(sock.Text(fmt.Sprint(info, t.n)))
}

// Timers run on the session's clock: virtual in the simulator, where a
// minute passes at once.
func ExampleConn_After() {
	w := sim.New(1)
	client := w.Connect(&ticker{}, nil)
	w.Advance(time.Minute)
	fmt.Println(client.Received())
	// Output:
	// [text "tick1" text "tick2" text "tick3" close 1000 ""]
}

func ExampleStopWith() {
	errUnauthorized := &sock.CloseError{Code: 4001, Text: "token expired"}
	h := sock.HandlerFunc(func(*sock.Conn, sock.Frame) sock.Result {
		return sock.StopWith(fmt.Errorf("checking session: %w", errUnauthorized))
	})
	client := sim.New(1).Connect(h, nil)
	client.SendText("anything")
	r := client.Reason()
	fmt.Println(client.Received())
	fmt.Println(r.Kind, sock.CloseStatus(r.Err), errors.Is(r.Err, errUnauthorized))
	// Output:
	// [close 4001 "token expired"]
	// error 4001 true
}

func ExampleResult_String() {
	fmt.Println(sock.Continue())
	fmt.Println(sock.Push(sock.Text("hi"), sock.Binary([]byte{7})))
	fmt.Println(sock.Push(sock.Text("bye")).Close(4000, "done"))
	fmt.Println(sock.StopWith(errors.New("db gone")))
	// Output:
	// continue
	// push [text "hi", binary 07]
	// push [text "bye"] then close 4000 "done"
	// stop with error 1011: db gone
}

// For transport authors: a driver feeds a Session events, each with the
// current time, and writes what it asks for. Terminate runs while the
// Session handles the event that ends the connection, so before the driver
// writes that event's frames. Serve is such a driver; the simulator is
// another.
func ExampleSession() {
	s := sock.NewSession(&shout{}, sock.ConnInfo{}, nil)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Open(now)
	for _, in := range []string{"hello", "bye"} {
		s.Receive(now, sock.Text(in))
		for _, f := range s.Output() {
			fmt.Println("write", f)
		}
	}
	s.Receive(now, sock.CloseFrame(4000, "")) // the client answers the close
	fmt.Println("done:", s.Done())
	// Output:
	// write text "HELLO"
	// terminate after 2 messages: normal 4000 "client left"
	// write text "see you"
	// write close 4000 "client left"
	// done: true
}
