package sock_test

import (
	"errors"
	"fmt"
	"strings"
	"time"

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

// A Session is driven by hand here, as a driver would: events in, frames out.
// Terminate runs while the Session handles the event that ends the
// connection, so before the driver writes that event's frames.
func Example() {
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

func ExampleHandlerFunc() {
	echo := sock.HandlerFunc(func(_ *sock.Conn, msg sock.Frame) sock.Result {
		return sock.Push(msg)
	})
	s := sock.NewSession(echo, sock.ConnInfo{}, nil)
	now := time.Now()
	s.Open(now)
	s.Receive(now, sock.Binary([]byte{1, 2, 3}))
	fmt.Println(s.Output())
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

func ExampleConn_After() {
	s := sock.NewSession(&ticker{}, sock.ConnInfo{}, nil)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Open(start)
	for s.Reason().Kind == 0 { // until Terminate

		next := s.Deadline()
		s.Tick(next)
		fmt.Println(next.Sub(start), s.Output())
	}
	// Output:
	// 1s [text "tick1"]
	// 2s [text "tick2"]
	// 3s [text "tick3" close 1000 ""]
}

func ExampleStopWith() {
	errUnauthorized := &sock.CloseError{Code: 4001, Text: "token expired"}
	h := sock.HandlerFunc(func(*sock.Conn, sock.Frame) sock.Result {
		return sock.StopWith(fmt.Errorf("checking session: %w", errUnauthorized))
	})
	s := sock.NewSession(h, sock.ConnInfo{}, nil)
	now := time.Now()
	s.Open(now)
	s.Receive(now, sock.Text("anything"))
	fmt.Println(s.Output())
	fmt.Println(s.Reason().Kind, sock.CloseStatus(s.Reason().Err), errors.Is(s.Reason().Err, errUnauthorized))
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
