package scenarios_test

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockkit/sockkit/scenarios"
	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sockt"
)

func echoServer() *sockhttp.Server { return echoServerOn(nil) }

// echoServerOn is echoServer on host h (nil: gorilla).
func echoServerOn(h sockhttp.Host) *sockhttp.Server {
	return sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler {
		return sock.HandlerFunc(func(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) })
	}), &sockhttp.Options{Host: h})
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
	said := sock.Frame{Op: msg.Op, Payload: bytes.Clone(msg.Payload)} // the payload is lent until HandleIn returns
	for other := range m.hub.members {
		if other != c {
			_ = other.SendInfo(said)
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

// byeCloser echoes; on "bye" it echoes and closes, on "leave" it answers
// "left" and closes: a Result that pushes and closes, whose frames are
// written after Terminate ran.
type byeCloser struct{}

func (byeCloser) HandleIn(_ *sock.Conn, m sock.Frame) sock.Result {
	switch string(m.Payload) {
	case "bye":
		return sock.Push(m).Close(sock.CloseNormal, "")
	case "leave":
		return sock.Push(sock.Text("left")).Close(sock.CloseNormal, "")
	}
	return sock.Push(m)
}

// ticker has a game tick of 100ms: a minute of virtual time is 600
// callbacks in one step.
type ticker struct{}

func (ticker) Init(c *sock.Conn) sock.Result {
	c.After(100*time.Millisecond, "tick")
	return sock.Continue()
}
func (ticker) HandleIn(_ *sock.Conn, m sock.Frame) sock.Result { return sock.Push(m) }
func (ticker) HandleInfo(c *sock.Conn, _ any) sock.Result {
	c.After(100*time.Millisecond, "tick")
	return sock.Continue()
}

func TestCheckNoFalseAlarmsFromProperties(t *testing.T) {
	byeServer := func() *sockhttp.Server {
		return sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return byeCloser{} }), nil)
	}
	t.Run("answers, then closes", func(t *testing.T) {
		scenarios.Check(t, byeServer, &scenarios.Options{Messages: rapidSampled("bye", "leave", "hello"),
			Properties: []scenarios.Property{
				scenarios.Answers(func(m sock.Frame) []sock.Frame {
					if string(m.Payload) == "leave" {
						return []sock.Frame{sock.Text("left")}
					}
					return []sock.Frame{m}
				}),
				scenarios.NoPushAfter(sockt.Equal(sock.Text("leave"))),
			}})
	})
	t.Run("many callbacks in a step", func(t *testing.T) {
		scenarios.Check(t, func() *sockhttp.Server {
			return sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return ticker{} }),
				&sockhttp.Options{ConnOptions: &sock.Options{IdleTimeout: -1}})
		}, nil)
	})
}

// slowOrStuck blocks on "stop" until the test is over, and sleeps 3ms on
// "slow": shrinking the hang must not settle on the sleep.
type slowOrStuck struct{ release chan struct{} }

func (s slowOrStuck) HandleIn(_ *sock.Conn, m sock.Frame) sock.Result {
	switch string(m.Payload) {
	case "stop":
		<-s.release
	case "slow":
		time.Sleep(3 * time.Millisecond)
	}
	return sock.Push(m)
}

// hangsInReplay blocks in Init in its server's second world: the first
// lifecycle's determinism replay.
type hangsInReplay struct {
	release chan struct{}
	world   int64
}

func (h hangsInReplay) Init(*sock.Conn) sock.Result {
	if h.world == 2 {
		<-h.release
	}
	return sock.Continue()
}

func (hangsInReplay) HandleIn(_ *sock.Conn, m sock.Frame) sock.Result { return sock.Push(m) }

func TestCheckWatchdogEdges(t *testing.T) {
	t.Run("a slow step is not the hang", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		report := strings.Join(checkFailures(t, func() *sockhttp.Server {
			return sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return slowOrStuck{release} }), nil)
		}, &scenarios.Options{Messages: rapidSampled("slow", "stop", "hello")}), "\n")
		_, steps, _ := strings.Cut(report, "the steps, as a scenario")
		if !strings.Contains(report, "watchdog: a callback did not return") || !strings.Contains(steps, `"stop"`) {
			t.Errorf("the shrunk hang does not send stop:\n%s", report)
		}
	})
	t.Run("a hang in the determinism replay", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		var worlds atomic.Int64
		done := make(chan string)
		go func() {
			done <- strings.Join(checkFailures(t, func() *sockhttp.Server {
				n := worlds.Add(1)
				return sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return hangsInReplay{release, n} }), nil)
			}, nil), "\n")
		}()
		select {
		case report := <-done:
			if !strings.Contains(report, "watchdog: a callback did not return") {
				t.Errorf("no watchdog failure:\n%s", report)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Check did not return after a hang in its determinism replay")
		}
	})
}

// A Sometimes condition is the user's, whatever its name: one named as a
// built-in milestone that never holds still fails the Check.
func TestSometimesNamesAreTheUsers(t *testing.T) {
	report := strings.Join(checkFailures(t, echoServer, &scenarios.Options{Sometimes: map[string]func(sim.Event) bool{
		"info": func(sim.Event) bool { return false },
	}}), "\n")
	if !strings.Contains(report, `sometimes: "info" never held`) {
		t.Errorf("a condition that never held passed:\n%s", report)
	}
}

// pooled leaks a goroutine per connection, on a server that runs a pool of
// goroutines of its own until its last connection ends: the pool ending
// must not hide the leak.
type pooled struct {
	members *atomic.Int64
	stop    func()
	block   chan struct{}
}

func (p pooled) Init(*sock.Conn) sock.Result {
	p.members.Add(1)
	go func() { <-p.block }() // the leak: nothing closes block while the test runs
	return sock.Continue()
}

func (pooled) HandleIn(_ *sock.Conn, m sock.Frame) sock.Result { return sock.Push(m) }

func (p pooled) Terminate(*sock.Conn, sock.Reason) {
	if p.members.Add(-1) == 0 {
		p.stop()
	}
}

func TestCheckFindsALeakBehindAPool(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	newServer := func() *sockhttp.Server {
		quit := make(chan struct{})
		for range 4 {
			go func() { <-quit }()
		}
		var once sync.Once
		var members atomic.Int64
		return sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler {
			return pooled{&members, func() { once.Do(func() { close(quit) }) }, block}
		}), nil)
	}
	report := strings.Join(checkFailures(t, newServer, &scenarios.Options{Skip: []string{"determinism"}}), "\n")
	if !strings.Contains(report, "leak: goroutines the handler started outlived") {
		t.Errorf("the leak was not found:\n%s", report)
	}
}
