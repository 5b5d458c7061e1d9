package scenarios_test

import (
	"sync"
	"testing"

	"github.com/sockkit/sockkit/scenarios"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

func echoServer() *sockhttp.Server {
	return sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler {
		return sock.HandlerFunc(func(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) })
	}), nil)
}

// Correct handlers pass: no false alarm.
func TestCheckCorrectHandlers(t *testing.T) {
	t.Run("echo", func(t *testing.T) { scenarios.Check(t, echoServer, nil) })
	t.Run("greeter", func(t *testing.T) {
		scenarios.Check(t, newGreeter, &scenarios.Options{Connects: []scenarios.Connect{
			{Target: "/?name=ada", Header: []scenarios.Header{{Name: "Sec-WebSocket-Protocol", Value: "greet.v1"}}},
			{Target: "/"}, // refused
		}})
	})
}

// The fuzz target runs the same lifecycles; its seed corpus runs in every
// go test.
func FuzzEcho(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3, 1, 4, 1, 5, 9, 2, 6})
	f.Fuzz(scenarios.Fuzz(echoServer, nil))
}

// hub is a correct chat room whose broadcasts follow map order, which
// differs in every run: the simulator must not let that order into the
// trace, or the determinism check would blame the handler.
type hub struct {
	mu      sync.Mutex
	members map[*sock.Conn]bool
}

type member struct{ hub *hub }

func (m member) Init(c *sock.Conn) sock.Result {
	m.hub.mu.Lock()
	defer m.hub.mu.Unlock()
	m.hub.members[c] = true
	return sock.Continue()
}

func (m member) HandleIn(c *sock.Conn, msg sock.Frame) sock.Result {
	m.hub.mu.Lock()
	defer m.hub.mu.Unlock()
	for other := range m.hub.members {
		if other != c {
			_ = other.SendInfo(msg)
		}
	}
	return sock.Continue()
}

// HandleInfo pushes what another member said, and the infos Check sends as
// text.
func (m member) HandleInfo(_ *sock.Conn, info any) sock.Result {
	if f, ok := info.(sock.Frame); ok {
		return sock.Push(f)
	}
	return sock.Push(sock.Text(info.(string)))
}

func (m member) Terminate(c *sock.Conn, _ sock.Reason) {
	m.hub.mu.Lock()
	defer m.hub.mu.Unlock()
	delete(m.hub.members, c)
}

func TestCheckNoFalseAlarms(t *testing.T) {
	t.Run("map-ordered broadcasts", func(t *testing.T) {
		scenarios.Check(t, func() *sockhttp.Server {
			h := &hub{members: map[*sock.Conn]bool{}}
			return sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return member{h} }), nil)
		}, nil)
	})
	t.Run("liveness skipped", func(t *testing.T) {
		scenarios.Check(t, echoServer, &scenarios.Options{Skip: []string{"liveness"}})
	})
}
