// Package room is the chat of examples/chat: rooms as registry groups,
// nicknames as registry names, join and leave notices, and each room's last
// messages for whoever joins. socktui's demo serves it too.
package room

import (
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/registry"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// NewServer returns the chat's WebSocket server. A client connects with
// ?nick=NAME (and &room=ROOM, default "lobby"); each text message it sends
// is said to its room, "/join ROOM" moves it, "/who" lists the room. A room
// keeps its last history lines for whoever joins.
func NewServer(history int) *sockhttp.Server {
	c := &chat{reg: registry.New(nil), history: history, lines: map[string][]string{}}
	srv := sockhttp.NewServer(c.accept, nil)
	srv.WrapHandlers(c.reg.Track)
	return srv
}

// chat is what the connections share.
type chat struct {
	reg     *registry.Registry
	history int

	mu    sync.Mutex
	lines map[string][]string // each room's last lines
}

func (c *chat) accept(r *http.Request) (sockhttp.Accept, error) {
	nick := r.URL.Query().Get("nick")
	if nick == "" || strings.ContainsAny(nick, " :") {
		return sockhttp.Accept{}, &sockhttp.Refusal{Status: http.StatusBadRequest, Body: "connect with ?nick=NAME (no spaces)"}
	}
	room := r.URL.Query().Get("room")
	if room == "" {
		room = "lobby"
	}
	return sockhttp.Accept{Handler: &member{chat: c, nick: nick, room: room}}, nil
}

// line is a line of chat, published to a room.
type line string

// member is one connection: a nickname in a room.
type member struct {
	chat *chat
	nick string
	room string
}

func (m *member) Init(conn *sock.Conn) sock.Result {
	if err := m.chat.reg.Register(m.nick, conn); err != nil {
		return sock.Close(4001, "nickname "+m.nick+" is taken")
	}
	return m.enter(conn)
}

// enter joins the member's room: the room's history for it, a notice for
// the others.
func (m *member) enter(conn *sock.Conn) sock.Result {
	history := m.chat.say(m.room, fmt.Sprintf("* %s joined %s", m.nick, m.room))
	m.chat.reg.Join(m.room, conn)
	frames := make([]sock.Frame, 0, len(history))
	for _, l := range history {
		frames = append(frames, sock.Text(l))
	}
	if len(frames) == 0 {
		return sock.Continue()
	}
	return sock.Push(frames[0], frames[1:]...)
}

// leave leaves the member's room, with a notice.
func (m *member) leave(conn *sock.Conn) {
	m.chat.reg.Leave(m.room, conn)
	m.chat.say(m.room, fmt.Sprintf("* %s left %s", m.nick, m.room))
}

func (m *member) HandleIn(conn *sock.Conn, msg sock.Frame) sock.Result {
	if msg.Op != sock.OpText {
		return sock.Close(sock.CloseUnsupportedData, "text only")
	}
	text := string(msg.Payload)
	switch cmd, arg, _ := strings.Cut(text, " "); cmd {
	case "/join":
		if arg == "" || arg == m.room {
			return sock.Push(sock.Text("* /join ROOM"))
		}
		m.leave(conn)
		m.room = arg
		return m.enter(conn)
	case "/who":
		return sock.Push(sock.Text("* in " + m.room + ": " + strings.Join(m.chat.reg.Names(m.room), ", ")))
	}
	m.chat.say(m.room, m.nick+": "+text)
	return sock.Continue()
}

func (m *member) HandleInfo(_ *sock.Conn, info any) sock.Result {
	if l, ok := info.(line); ok {
		return sock.Push(sock.Text(string(l)))
	}
	return sock.Continue()
}

func (m *member) Terminate(conn *sock.Conn, _ sock.Reason) {
	if m.chat.reg.Lookup(m.nick) == conn { // not the one refused for a taken nickname
		m.leave(conn)
	}
}

// say publishes text to the room, keeps it in the room's history, and
// returns the history before it.
func (c *chat) say(room, text string) []string {
	c.mu.Lock()
	before := append([]string(nil), c.lines[room]...)
	c.lines[room] = append(c.lines[room], text)
	if n := len(c.lines[room]); n > c.history {
		c.lines[room] = c.lines[room][n-c.history:]
	}
	c.mu.Unlock()
	c.reg.Publish(room, line(text))
	return before
}
