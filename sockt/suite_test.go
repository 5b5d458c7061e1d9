package sockt_test

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/sockkit/sockkit/sock"
)

// The handlers the tests and examples of this package exercise.

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
			m.Send(said{from: c.name, text: string(msg.Payload)})
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
