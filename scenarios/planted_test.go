package scenarios_test

import (
	"bytes"
	"flag"
	"fmt"
	"runtime"
	"strconv"
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

// Planted bugs: each handler has one, which Check must find, and its twin
// without the bug must pass.

// planted echoes, except "stop" (which stops it), and nothing once the
// client has sent "leave"; it counts messages and, on "count", pushes the
// count instead of echoing; it runs a goroutine from Init to Terminate. Its
// bug does otherwise, on "stop" for most.
type planted struct {
	bug     string
	release chan struct{} // closed when the test is over, to let go what the bugs hold
	quit    chan struct{}
	left    bool
	n       int
	last    []byte // the message before, kept without a copy: a bug
}

var served atomic.Int64 // state shared by every connection: a bug

func (p *planted) Init(c *sock.Conn) sock.Result {
	p.quit = make(chan struct{})
	go func() { // a worker, say
		select {
		case <-p.quit:
		case <-p.release:
		}
	}()
	if p.bug == "shared state" {
		return sock.Push(sock.Text(fmt.Sprintf("you are visitor %d", served.Add(1))))
	}
	return sock.Continue()
}

func (p *planted) HandleIn(c *sock.Conn, msg sock.Frame) sock.Result {
	p.n++
	defer func() {
		if p.bug == "kept payload" {
			p.last = msg.Payload
		}
	}()
	if p.left && p.bug != "echo after leave" {
		return sock.Continue()
	}
	switch string(msg.Payload) {
	case "leave":
		p.left = true
		return sock.Push(sock.Text("bye"))
	case "count":
		return sock.Push(sock.Text(strconv.Itoa(p.n)))
	case "stop":
		return p.stop(c)
	}
	if p.n == 3 && p.bug == "third answered twice" {
		return sock.Push(msg, msg)
	}
	return sock.Push(msg)
}

func (p *planted) stop(c *sock.Conn) sock.Result {
	switch p.bug {
	case "panic":
		var m map[string]int
		//lint:ignore SA5000 the bug planted on purpose
		m["stop"]++ // a nil map
	case "bad close code":
		return sock.Close(sock.CloseNoStatus, "")
	case "close text too long":
		return sock.Close(4000, strings.Repeat("long ", 30))
	case "invalid text":
		return sock.Push(sock.Text("caf\xe9"))
	case "timer loop":
		c.After(0, "again")
	case "wall clock":
		return sock.Push(sock.Text(time.Now().Format(time.RFC3339Nano)))
	case "blocks":
		<-p.release // until the test is over
	case "kept payload":
		if p.last != nil {
			return sock.Push(sock.Binary(p.last)).Stop() // "stop, after what?"
		}
	}
	return sock.Stop()
}

func (p *planted) HandleControl(_ *sock.Conn, f sock.Frame) sock.Result {
	if p.bug == "pings counted" && f.Op == sock.OpPing {
		p.n++
	}
	return sock.Continue()
}

func (p *planted) HandleInfo(c *sock.Conn, info any) sock.Result {
	if p.bug == "timer loop" {
		c.After(0, info)
	}
	return sock.Continue()
}

func (p *planted) Terminate(_ *sock.Conn, r sock.Reason) {
	if p.bug != "goroutine leak" {
		close(p.quit)
	}
	if p.bug == "terminate panics" || p.bug == "terminate panics on a close" && r.Kind == sock.ReasonRemote {
		panic("cleanup failed")
	}
}

// The handler's own properties, for the bugs only they find; the twin
// without a bug keeps them all.
var (
	echoes = scenarios.Answers(func(m sock.Frame) []sock.Frame {
		switch string(m.Payload) {
		case "stop":
			return nil
		case "count":
			return []sock.Frame{sock.Text("<count>")}
		}
		return []sock.Frame{m}
	})
	silentAfterLeave = scenarios.NoPushAfter(sockt.Equal(sock.Text("leave")))
	// counts is a model: how many messages HandleIn has had, which is what
	// the text pushed next after a "count" says (a number the client sent
	// is echoed, and no count).
	counts = scenarios.Property{Name: "count is the number of messages", New: func() func(sim.Event) error {
		n, asked := 0, false
		return func(e sim.Event) error {
			switch {
			case e.Kind == sim.ClientSent && e.Frame.Op == sock.OpText && string(e.Frame.Payload) == "count":
				asked = true
			case e.Kind == sim.Called && e.Detail.String() == "HandleIn":
				n++
			case e.Kind == sim.ServerWrote && e.Frame.Op == sock.OpText && asked:
				asked = false
				if !bytes.Equal(e.Frame.Payload, []byte(strconv.Itoa(n))) {
					return fmt.Errorf("pushed count %s after %d messages", e.Frame.Payload, n)
				}
			}
			return nil
		}
	}}
)

// checkFailures runs Check as a test would and returns what it reported.
func checkFailures(t *testing.T, newServer func() *sockhttp.Server, opts *scenarios.Options) []string {
	// No fail files for bugs planted on purpose, and a fixed seed, so that
	// the test takes the same time in every run.
	for name, value := range map[string]string{"rapid.nofailfile": "true", "rapid.seed": "1"} {
		old := flag.Lookup(name).Value.String()
		if err := flag.Set(name, value); err != nil {
			t.Fatal(err)
		}
		defer flag.Set(name, old)
	}
	r := &recorder{name: t.Name()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		scenarios.Check(r, newServer, opts)
	}()
	<-done
	return r.lines
}

func TestCheckFindsPlantedBugs(t *testing.T) {
	stop := []string{"stop", "hello"}
	for _, tc := range []struct {
		bug      string
		want     string // in the report
		messages []string
		property *scenarios.Property
	}{
		{"panic", "handler bug: HandleIn panicked: assignment to entry in nil map", stop, nil},
		{"bad close code", "close code 1005 may not be sent", stop, nil},
		{"close text too long", "close text of 150 bytes, the limit is 123", stop, nil},
		{"invalid text", "text frame is not UTF-8", stop, nil},
		{"terminate panics", "handler bug: Terminate panicked: cleanup failed", stop, nil},
		{"terminate panics on a close", "handler bug: Terminate panicked: cleanup failed", stop, nil}, // at the end, in heal
		{"timer loop", "handler bug: loop", stop, nil},
		{"shared state", "determinism: the same steps in a fresh world gave another trace", stop, nil},
		{"wall clock", "determinism: the same steps in a fresh world gave another trace", stop, nil},
		{"blocks", "watchdog: a callback did not return", stop, nil},
		{"goroutine leak", "leak: goroutines the handler started outlived", stop, nil},
		{"third answered twice", `property "every message answered once, in order" broken`, stop, &echoes},
		{"echo after leave", `property "nothing pushed after text \"leave\"" broken`, []string{"leave", "hello"}, &silentAfterLeave},
		{"pings counted", `property "count is the number of messages" broken`, []string{"count", "hello"}, &counts},
		{"kept payload", "kept payload: the handler pushed the payload of a frame handed to an earlier callback", stop, nil},
	} {
		t.Run(tc.bug, func(t *testing.T) {
			release := make(chan struct{})
			t.Cleanup(func() { close(release) })
			newServer := func() *sockhttp.Server {
				return sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return &planted{bug: tc.bug, release: release} }), nil)
			}
			opts := &scenarios.Options{Messages: rapidSampled(tc.messages...)}
			if tc.property != nil {
				opts.Properties = []scenarios.Property{*tc.property}
			}
			start := time.Now()
			report := strings.Join(checkFailures(t, newServer, opts), "\n")
			took := time.Since(start)
			if !strings.Contains(report, tc.want) {
				t.Fatalf("Check did not report %q; its report:\n%s", tc.want, report)
			}
			steps := scenarioSteps(report)
			t.Logf("found in %v, shrunk to %d steps", took.Round(time.Millisecond), steps)
			if steps == 0 || steps > 6 {
				t.Errorf("the scenario printed has %d steps, want 1 to 6:\n%s", steps, report)
			}
		})
	}
	t.Run("no bug", func(t *testing.T) {
		newServer := func() *sockhttp.Server {
			return sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return &planted{} }), nil)
		}
		scenarios.Check(t, newServer, &scenarios.Options{
			Messages:   rapidSampled("stop", "hello", "count", "leave"),
			Properties: []scenarios.Property{silentAfterLeave, counts},
		})
		scenarios.Check(t, newServer, &scenarios.Options{
			Messages:   rapidSampled("stop", "hello"),
			Properties: []scenarios.Property{echoes},
		})
	})
}

// scenarioSteps counts the steps of the scenario a report prints: the lines
// after its heading, up to the first blank one, header lines aside.
func scenarioSteps(report string) int {
	_, after, ok := strings.Cut(report, "the steps, as a scenario")
	if !ok {
		return 0
	}
	n := 0
	for _, line := range strings.Split(after, "\n")[1:] {
		switch {
		case strings.TrimSpace(line) == "":
			return n
		case !strings.HasPrefix(line, "  header "):
			n++
		}
	}
	return n
}

// recorder is a rapid.TB that keeps what is reported instead of failing.
type recorder struct {
	name   string
	mu     sync.Mutex
	lines  []string
	failed bool
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, s)
}

func (r *recorder) Helper()                           {}
func (r *recorder) Name() string                      { return r.name }
func (r *recorder) Logf(format string, args ...any)   { r.add(fmt.Sprintf(format, args...)) }
func (r *recorder) Log(args ...any)                   { r.add(fmt.Sprint(args...)) }
func (r *recorder) Skipf(format string, args ...any)  { r.Logf(format, args...); runtime.Goexit() }
func (r *recorder) Skip(args ...any)                  { r.Log(args...); runtime.Goexit() }
func (r *recorder) SkipNow()                          { runtime.Goexit() }
func (r *recorder) Errorf(format string, args ...any) { r.Fail(); r.Logf(format, args...) }
func (r *recorder) Error(args ...any)                 { r.Fail(); r.Log(args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); runtime.Goexit() }
func (r *recorder) FailNow()                          { r.Fail(); runtime.Goexit() }
func (r *recorder) Fail()                             { r.mu.Lock(); r.failed = true; r.mu.Unlock() }
func (r *recorder) Failed() bool                      { r.mu.Lock(); defer r.mu.Unlock(); return r.failed }
