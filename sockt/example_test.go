package sockt_test

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sockt"
)

// The handler suite: echo, a counter that pushes on a timer, a chat room
// across several connections, and a handler that panics. The examples below
// and the tests in suite_run_test.go exercise them.

// echo pushes every message back as it came.
type echo struct{}

func (echo) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) }

// counter pushes "tick N" every period, starting at Init, and answers
// "stop" by closing with 4000.
type counter struct {
	period time.Duration
	n      int
}

func (c *counter) Init(conn *sock.Conn) sock.Result {
	conn.After(c.period, "tick")
	return sock.Continue()
}

func (c *counter) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result {
	if string(msg.Payload) == "stop" {
		return sock.Close(4000, "stopped at "+strconv.Itoa(c.n))
	}
	return sock.Continue()
}

func (c *counter) HandleInfo(conn *sock.Conn, info any) sock.Result {
	c.n++
	conn.After(c.period, info)
	return sock.Push(sock.Text(fmt.Sprintf("%v %d", info, c.n)))
}

// room is a chat room: what one member says reaches every other member.
type room struct {
	mu      sync.Mutex
	members []*sock.Conn
}

type said struct{ from, text string }

// chatter is one member of a room; it takes the name sent first.
type chatter struct {
	room *room
	name string
}

func (c *chatter) Init(conn *sock.Conn) sock.Result {
	c.room.mu.Lock()
	defer c.room.mu.Unlock()
	c.room.members = append(c.room.members, conn)
	return sock.Push(sock.Text("name?"))
}

func (c *chatter) HandleIn(conn *sock.Conn, msg sock.Frame) sock.Result {
	if c.name == "" {
		c.name = string(msg.Payload)
		return sock.Push(sock.Text("hello " + c.name))
	}
	c.room.mu.Lock()
	defer c.room.mu.Unlock()
	for _, m := range c.room.members {
		if m != conn {
			m.SendInfo(said{from: c.name, text: string(msg.Payload)})
		}
	}
	return sock.Continue()
}

func (c *chatter) HandleInfo(_ *sock.Conn, info any) sock.Result {
	s := info.(said)
	return sock.Push(sock.Text(s.from + ": " + s.text))
}

func (c *chatter) Terminate(conn *sock.Conn, _ sock.Reason) {
	c.room.mu.Lock()
	defer c.room.mu.Unlock()
	for i, m := range c.room.members {
		if m == conn {
			c.room.members = append(c.room.members[:i], c.room.members[i+1:]...)
			break
		}
	}
}

// panicky panics on "boom" and echoes the rest.
type panicky struct{}

func (panicky) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result {
	if string(msg.Payload) == "boom" {
		panic("boom")
	}
	return sock.Push(msg)
}

// printT stands in for the *testing.T of a test, so that examples can run:
// it prints the first line of each failure (go-cmp's diffs vary their
// spacing on purpose, so they cannot be example output) and runs the
// cleanups when the example calls done.
type printT struct{ cleanups []func() }

func (*printT) Helper() {}

func (*printT) Errorf(format string, args ...any) {
	first, _, _ := strings.Cut(fmt.Sprintf(format, args...), "\n")
	fmt.Println("FAIL:", first)
}

func (t *printT) Fatalf(format string, args ...any) {
	t.Errorf(format, args...)
	runtime.Goexit() // as testing.T does: the failing goroutine stops here
}

func (t *printT) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }

func (t *printT) done() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// In a test, t is the test's *testing.T and the cleanup runs by itself.
func ExampleNew() {
	t := &printT{}
	c := sockt.New(t, func() sock.Handler { return echo{} }, nil)
	c.SendText("hello")
	c.ExpectText("hello")
	c.SendBinary([]byte{1, 2})
	c.ExpectPush(sockt.Any())
	c.RefutePush() // at once: the simulator knows nothing else is coming
	t.done()       // the client closes; Terminate must have run once
	for _, line := range c.Transcript() {
		fmt.Println(line)
	}
	// Output:
	// 0s c1 client connect
	// 0s c1 call Init
	// 0s c1 return continue
	// 0s c1 client text "hello"
	// 0s c1 call HandleIn text "hello"
	// 0s c1 return push [text "hello"]
	// 0s c1 server text "hello"
	// 0s c1 client binary 0102
	// 0s c1 call HandleIn binary 0102
	// 0s c1 return push [binary 0102]
	// 0s c1 server binary 0102
	// 0s c1 client close 1000 "test over"
	// 0s c1 terminate remote 1000 "test over"
	// 0s c1 server close 1000 ""
	// 0s c1 closed transport
}

// Timers run on the simulator's virtual clock: no test waits for them.
func ExampleConn_Advance() {
	t := &printT{}
	defer t.done()
	c := sockt.New(t, func() sock.Handler { return &counter{period: 25 * time.Second} }, nil)
	c.Advance(50 * time.Second)
	c.ExpectText("tick 1")
	c.ExpectText("tick 2")
	c.SendText("stop")
	c.ExpectClose(4000, "stopped at 2")
	fmt.Println(c.ExpectTerminate(sock.ReasonNormal))
	// Output:
	// normal 4000 "stopped at 2"
}

// Connect opens more connections to the same handlers: here, a chat room.
func ExampleConn_Connect() {
	t := &printT{}
	defer t.done()
	factory := func() func() sock.Handler {
		r := &room{}
		return func() sock.Handler { return &chatter{room: r} }
	}()
	ada := sockt.New(t, factory, nil)
	bob := ada.Connect()
	for name, c := range map[string]*sockt.Conn{"ada": ada, "bob": bob} {
		c.ExpectText("name?")
		c.SendText(name)
		c.ExpectText("hello " + name)
	}
	ada.SendText("hi bob")
	f := bob.ExpectPush(sockt.Contains("hi"))
	fmt.Println(string(f.Payload))
	ada.RefutePush()
	// Output:
	// ada: hi bob
}

// A failed expectation reports a (-want +got) diff, then the end of the
// transcript.
func ExampleConn_ExpectText_failure() {
	t := &printT{}
	defer t.done()
	c := sockt.New(t, func() sock.Handler { return echo{} }, nil)
	c.SendText("hello")
	finished := make(chan struct{})
	go func() { // Fatalf stops this goroutine, as it stops a test's
		defer close(finished)
		c.ExpectText("goodbye")
	}()
	<-finished
	// Output:
	// FAIL: sockt: ExpectPush: pushed frame does not match (-want +got):
}
