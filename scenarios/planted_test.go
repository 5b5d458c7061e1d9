package scenarios_test

import (
	"flag"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockkit/sockkit/scenarios"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// Planted bugs: each handler has one, which Check must find, and its twin
// without the bug must pass.

// planted echoes, and does what its bug says on one command.
type planted struct {
	bug string
}

var served atomic.Int64 // state shared by every connection: a bug

func (p *planted) Init(c *sock.Conn) sock.Result {
	if p.bug == "shared state" {
		return sock.Push(sock.Text(fmt.Sprintf("you are visitor %d", served.Add(1))))
	}
	return sock.Continue()
}

func (p *planted) HandleIn(c *sock.Conn, msg sock.Frame) sock.Result {
	if string(msg.Payload) != "stop" {
		return sock.Push(msg)
	}
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
	}
	return sock.Stop()
}

func (p *planted) HandleInfo(c *sock.Conn, info any) sock.Result {
	if p.bug == "timer loop" {
		c.After(0, info)
	}
	return sock.Continue()
}

func (p *planted) Terminate(_ *sock.Conn, r sock.Reason) {
	if p.bug == "terminate panics" || p.bug == "terminate panics on a close" && r.Kind == sock.ReasonRemote {
		panic("cleanup failed")
	}
}

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
	for _, tc := range []struct {
		bug  string
		want string // in the report
	}{
		{"panic", "handler bug: HandleIn panicked: assignment to entry in nil map"},
		{"bad close code", "close code 1005 may not be sent"},
		{"close text too long", "close text of 150 bytes, the limit is 123"},
		{"invalid text", "text frame is not UTF-8"},
		{"terminate panics", "handler bug: Terminate panicked: cleanup failed"},
		{"terminate panics on a close", "handler bug: Terminate panicked: cleanup failed"}, // at the end, in heal
		{"timer loop", "handler bug: loop"},
		{"shared state", "determinism: the same steps in a fresh world gave another trace"},
		{"wall clock", "determinism: the same steps in a fresh world gave another trace"},
	} {
		t.Run(tc.bug, func(t *testing.T) {
			newServer := func() *sockhttp.Server {
				return sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return &planted{bug: tc.bug} }), nil)
			}
			opts := &scenarios.Options{Messages: rapidSampled("stop", "hello")}
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
		scenarios.Check(t, newServer, &scenarios.Options{Messages: rapidSampled("stop", "hello")})
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
