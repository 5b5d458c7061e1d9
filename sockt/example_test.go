package sockt_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sockt"
)

// The handler suite: echo, a counter that pushes on a timer, a chat room
// whose server authenticates its members, and a handler that panics. The
// examples below and the tests in suite_run_test.go exercise them.

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

func (r *room) join(c *sock.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.members = append(r.members, c)
}

func (r *room) leave(c *sock.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.members = slices.DeleteFunc(r.members, func(m *sock.Conn) bool { return m == c })
}

// tellOthers sends info to every member but from. A member whose queue is
// full misses it.
func (r *room) tellOthers(from *sock.Conn, info any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.members {
		if m != from {
			_ = m.SendInfo(info)
		}
	}
}

type said struct{ from, text string }

// member is one member of a room, known by the name its token gave.
type member struct {
	room *room
	name string
}

func (m *member) Init(c *sock.Conn) sock.Result {
	m.room.join(c)
	return sock.Push(sock.Text("welcome, " + m.name))
}

func (m *member) HandleIn(c *sock.Conn, msg sock.Frame) sock.Result {
	m.room.tellOthers(c, said{from: m.name, text: string(msg.Payload)})
	return sock.Continue()
}

func (m *member) HandleInfo(_ *sock.Conn, info any) sock.Result {
	s := info.(said)
	return sock.Push(sock.Text(s.from + ": " + s.text))
}

func (m *member) Terminate(c *sock.Conn, _ sock.Reason) { m.room.leave(c) }

// tokens maps the bearer tokens the room accepts to their users.
var tokens = map[string]string{"ada-token": "ada", "bob-token": "bob"}

// newRoomServer is the server production would serve: one room, whose
// factory admits the holders of a token and speaks chat.v1.
func newRoomServer() *sockhttp.Server {
	r := &room{}
	return sockhttp.NewServer(func(req *http.Request) (sockhttp.Accept, error) {
		name, ok := tokens[strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")]
		if !ok {
			return sockhttp.Accept{}, &sockhttp.Refusal{Status: http.StatusUnauthorized,
				Header: http.Header{"Www-Authenticate": {"Bearer"}}, Body: "unknown token"}
		}
		return sockhttp.Accept{Handler: &member{room: r, name: name}}, nil
	}, &sockhttp.Options{Subprotocols: []string{"chat.v1"}})
}

// join returns the upgrade request of a member with token.
func join(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/room", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("Sec-WebSocket-Protocol", "chat.v1")
	return r
}

// panicky panics on "boom" and echoes the rest.
type panicky struct{}

func (panicky) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result {
	if string(msg.Payload) == "boom" {
		panic("boom")
	}
	return sock.Push(msg)
}

// A test function is given t by the testing package, which examples cannot
// use: exampleTest runs the body of one, as testing would, and prints the
// first line of each failure.
func exampleTest(body func(t sockt.TB)) {
	for _, failure := range sockt.Failures(body) {
		first, _, _ := strings.Cut(failure, "\n")
		fmt.Println("FAIL:", first)
	}
}

// A handler under test in the simulator: the transcript tells everything
// that happened, callbacks included.
func ExampleNew() {
	exampleTest(func(t sockt.TB) {
		c := sockt.New(t, func() sock.Handler { return echo{} }, nil)
		c.SendText("hello")
		c.ExpectText("hello")
		c.SendBinary([]byte{1, 2})
		c.ExpectPush(sockt.Any())
		c.RefutePush() // at once: the simulator knows nothing else is coming
		for _, line := range c.Transcript() {
			fmt.Println(line)
		}
	})
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
}

// Timers run on the simulator's virtual clock: no test waits for them.
func ExampleConn_Advance() {
	exampleTest(func(t sockt.TB) {
		c := sockt.New(t, func() sock.Handler { return &counter{period: 25 * time.Second} }, nil)
		c.Advance(50 * time.Second)
		c.ExpectText("tick 1")
		c.ExpectText("tick 2")
		c.SendText("stop")
		c.ExpectClose(4000, "stopped at 2")
		fmt.Println(c.ExpectTerminate(sock.ReasonNormal))
	})
	// Output:
	// normal 4000 "stopped at 2"
}

// The server production serves, tested with the requests clients send: its
// factory refuses a stranger and welcomes a member, whose messages reach
// the others.
func ExampleNewServer() {
	exampleTest(func(t sockt.TB) {
		s := sockt.NewServer(t, newRoomServer(), nil)
		stranger := s.Connect(join("guessed"))
		refusal := stranger.ExpectRefused(http.StatusUnauthorized)
		fmt.Println(refusal.Status, refusal.Body, refusal.Header.Get("WWW-Authenticate"))

		ada := s.Connect(join("ada-token"))
		ada.ExpectAccepted("chat.v1")
		ada.ExpectText("welcome, ada")
		bob := s.Connect(join("bob-token"))
		bob.ExpectText("welcome, bob")
		ada.SendText("hi bob")
		f := bob.ExpectPush(sockt.Contains("hi"))
		fmt.Println(string(f.Payload))
		ada.RefutePush()
	})
	// Output:
	// 401 unknown token Bearer
	// ada: hi bob
}

// A failed expectation reports a (-want +got) diff, then the end of the
// transcript.
func ExampleConn_ExpectText_failure() {
	exampleTest(func(t sockt.TB) {
		c := sockt.New(t, func() sock.Handler { return echo{} }, nil)
		c.SendText("hello")
		c.ExpectText("goodbye")
	})
	// Output:
	// FAIL: sockt: ExpectPush: pushed frame differs (-want +got):
}
