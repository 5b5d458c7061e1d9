// Package room is the chat of examples/chat: rooms as registry groups,
// nicknames as registry names, join and leave notices, and each room's last
// messages for whoever joins. socktui's demo serves it too.
package room

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"unicode"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/registry"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// NewServer returns the chat's WebSocket server. A client connects with
// ?nick=NAME (and &room=ROOM, default "lobby"); each text message it sends
// is said to its room, "/join ROOM" moves it, "/who" lists the room. A room
// keeps its last history lines for whoever joins, while it has members.
//
// With a cluster (nil for none), the chat is one node of several: a room's
// lines reach its members on every node, a nickname is held once in the
// cluster, and each node keeps the history of the lines said on it and of
// those it receives while it has members in the room; "/who" lists the
// room's members on this node. The cluster's codec must know [Line].
//
// opts are the server's (nil for sockhttp's defaults).
func NewServer(history int, cluster registry.Cluster, opts *sockhttp.Options) *sockhttp.Server {
	c := &chat{history: max(history, 0), lines: map[string][]string{}}
	regOpts := &registry.Options{}
	if cluster != nil {
		regOpts.Cluster = historian{cluster, c}
	}
	c.reg = registry.New(regOpts)
	srv := sockhttp.NewServer(c.accept, opts)
	srv.WrapHandlers(c.reg.Track)
	return srv
}

// chat is what the connections share.
type chat struct {
	reg     *registry.Registry
	history int

	// mu is held across a line's publishing and its place in the history,
	// and across a join and the history it sends: so a joiner gets each
	// line once, from the history or live, in the order the room has them.
	// Publish never blocks, so holding it costs little.
	mu    sync.Mutex
	lines map[string][]string // each room's last lines

	unsent sync.Once // logs the first line the cluster could not send
}

func (c *chat) accept(r *http.Request) (sockhttp.Accept, error) {
	nick, room := r.URL.Query().Get("nick"), r.URL.Query().Get("room")
	if room == "" {
		room = "lobby"
	}
	if !word(nick) || !word(room) {
		return sockhttp.Accept{}, &sockhttp.Refusal{Status: http.StatusBadRequest,
			Body: "connect with ?nick=NAME (and &room=ROOM): letters, digits, - and _, 32 at most"}
	}
	return sockhttp.Accept{Handler: &member{chat: c, nick: nick, room: room}}, nil
}

// word reports whether s may be a nickname or a room: it is shown to
// everyone, so it must be text, short, and unable to pass for another line.
func word(s string) bool {
	return s != "" && len(s) <= 32 && !strings.ContainsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_'
	})
}

// Line is a line of chat, published to a room.
type Line string

// member is one connection: a nickname in a room.
type member struct {
	chat       *chat
	nick       string
	room       string
	registered bool // it holds its nickname: not refused as a duplicate
}

func (m *member) Init(conn *sock.Conn) sock.Result {
	switch err := m.chat.reg.Register(m.nick, conn); {
	case errors.Is(err, registry.ErrNameTaken):
		return sock.Close(4001, "nickname taken")
	case err != nil: // the cluster could not tell
		return sock.Close(sock.CloseTryAgainLater, "try again later")
	}
	m.registered = true
	return m.enter(conn)
}

// enter joins the member's room: the room's history for it, a notice for
// the others.
func (m *member) enter(conn *sock.Conn) sock.Result {
	m.chat.mu.Lock()
	history := append([]string(nil), m.chat.lines[m.room]...)
	m.chat.reg.Join(m.room, conn)
	m.chat.mu.Unlock()
	m.chat.say(m.room, fmt.Sprintf("* %s joined %s", m.nick, m.room))
	frames := make([]sock.Frame, 0, len(history))
	for _, l := range history {
		frames = append(frames, sock.Text(l))
	}
	if len(frames) == 0 {
		return sock.Continue()
	}
	return sock.Push(frames[0], frames[1:]...)
}

// leave leaves the member's room, with a notice. The last to leave takes
// the room's history with it: the chat keeps the rooms in use, not every
// room anyone ever named.
func (m *member) leave(conn *sock.Conn) {
	m.chat.reg.Leave(m.room, conn)
	m.chat.say(m.room, fmt.Sprintf("* %s left %s", m.nick, m.room))
	m.chat.mu.Lock()
	defer m.chat.mu.Unlock()
	if m.chat.reg.Members(m.room) == 0 {
		delete(m.chat.lines, m.room)
	}
}

func (m *member) HandleIn(conn *sock.Conn, msg sock.Frame) sock.Result {
	if msg.Op != sock.OpText {
		return sock.Close(sock.CloseUnsupportedData, "text only")
	}
	text := string(msg.Payload)
	switch cmd, arg, _ := strings.Cut(text, " "); cmd {
	case "/join":
		switch {
		case arg == m.room:
			return sock.Push(sock.Text("* you are in " + m.room))
		case !word(arg):
			return sock.Push(sock.Text("* /join ROOM: letters, digits, - and _, 32 at most"))
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
	if l, ok := info.(Line); ok {
		return sock.Push(sock.Text(string(l)))
	}
	return sock.Continue()
}

func (m *member) Terminate(conn *sock.Conn, _ sock.Reason) {
	if m.registered { // not the one refused for a taken nickname
		m.leave(conn)
	}
}

// say publishes text to the room and keeps it in the room's history.
func (c *chat) say(room, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keep(room, text)
	if p := c.reg.Publish(room, Line(text)); p.Err != nil {
		c.unsent.Do(func() {
			slog.Warn("chat: a line did not reach the other nodes (the first such error; no more are logged)", "err", p.Err)
		})
	}
}

// keep keeps a line in the room's history; c.mu is held.
func (c *chat) keep(room, text string) {
	c.lines[room] = append(c.lines[room], text)
	if n := len(c.lines[room]); n > c.history {
		c.lines[room] = c.lines[room][n-c.history:]
	}
}

// historian is the chat's cluster: it keeps in the history the lines other
// nodes publish, as they reach this node's members.
type historian struct {
	registry.Cluster
	chat *chat
}

func (h historian) Start(node registry.Node) { h.Cluster.Start(historianNode{node, h.chat}) }

// historianNode is the registry, as the historian's cluster delivers to it.
type historianNode struct {
	registry.Node
	chat *chat
}

func (n historianNode) Publish(room string, info any) registry.Published {
	n.chat.mu.Lock()
	defer n.chat.mu.Unlock()
	if l, ok := info.(Line); ok {
		n.chat.keep(room, string(l))
	}
	return n.Node.Publish(room, info)
}
