package scenarios

import (
	"crypto/tls"
	"slices"
	"time"

	"pgregory.net/rapid"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sockt"
)

// Options configures [Replay] and [Check]. A nil *Options means all
// defaults.
type Options struct {
	// Loopback makes Replay run over a real loopback socket through the
	// server's ServeHTTP instead of in the simulator. Steps that only the
	// simulator can take (fragments, faults, held infos) fail, sock's own
	// rules are not checked (the simulator's trace checks them), and
	// advance sleeps. Check always runs in the simulator.
	Loopback bool
	// URL, if set, makes Replay connect to a live server there — ws:// or
	// wss:// — as a client would, instead of serving one newServer makes
	// (which may be nil). Connect targets are resolved against it as links
	// are: "/chat" replaces its path. Only what a client can do and see
	// runs: infos, shutdown and expect terminate fail, as do the steps
	// only the simulator can take. TLSClientConfig configures wss://.
	URL             string
	TLSClientConfig *tls.Config
	// Seed seeds Replay's simulated world. Default 1. Check draws its own
	// and prints it with a failure.
	Seed uint64
	// Skip switches built-in checks off by name, for a handler that does on
	// purpose what a check reports: "invariants" (sock's own rules after
	// every step), and for Check "bugs" (a handler bug sock survived: a
	// panic, a Result it refused, a loop), "watchdog" (a step that does
	// not return in time), "liveness" (every connection terminates once
	// the clients close and time passes), "leaks" (goroutines the handler
	// started outlive Terminate) and "determinism" (the same steps in a
	// fresh world give the same trace).
	Skip []string

	// Connects are the upgrade requests Check opens connections with, drawn
	// at random; the Conn names are Check's. Default: a GET of "/".
	Connects []Connect

	// Messages, if set, draws messages of the handler's own protocol, which
	// Check sends among the built-in steps so that lifecycles reach deep
	// states: rapid.SampledFrom of a list, or a generator of commands with
	// fields drawn from ranges.
	Messages *rapid.Generator[sock.Frame]

	// Properties are rules of the handler's own that Check checks on every
	// connection after every step: [Answers], [NoPushAfter], or a model
	// of the user's.
	Properties []Property

	// Sometimes names conditions that must hold of some event in at least
	// one lifecycle of a Check, so that a green run is not a vacuous one:
	// "a member heard another". Check fails if one never does, and logs
	// with the built-in milestones how many lifecycles reached each (seen
	// with go test -v).
	Sometimes map[string]func(sim.Event) bool

	// Watchdog bounds, in real time, how long one step of Check may take:
	// a callback that has not returned by then is reported, with its
	// goroutine's stack. Default 1s. Once a step has hung, the lifecycles
	// shrinking it give each step a hundredth of it: shrinking replays the
	// hang hundreds of times. Goroutines the handler started are given a
	// second to end after the last Terminate, and 10ms once some have not.
	Watchdog time.Duration
}

// Replay runs the scenario s against a server newServer makes, as a test
// (time stamps are for the reader: time passes only with advance steps):
// in the simulator, over loopback with [Options].Loopback, or against a
// live server at [Options].URL. It fails t at
// the first step whose expectation is not met or that breaks sock's rules,
// naming the step (and [Scenario].Name's line), and, at the end, as sockt does, unless Terminate ran
// exactly once on every connection or if a handler had a bug sock survived.
func Replay(t sockt.TB, newServer func() *sockhttp.Server, s *Scenario, opts *Options) {
	t.Helper()
	replay(&stepTB{TB: t, file: s.Name}, newServer, s, opts)
}

// ReplayFile is [Replay] for the scenario file at path.
func ReplayFile(t sockt.TB, newServer func() *sockhttp.Server, path string, opts *Options) {
	t.Helper()
	s, err := ReadFile(path)
	if err != nil {
		t.Fatalf("scenarios: %v", err)
	}
	replay(&stepTB{TB: t, file: s.Name}, newServer, s, opts)
}

func replay(t *stepTB, newServer func() *sockhttp.Server, s *Scenario, opts *Options) {
	t.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	so := &sockt.Options{Seed: o.Seed, TLSClientConfig: o.TLSClientConfig}
	var server *sockt.Server
	switch {
	case o.URL != "":
		server = sockt.DialURL(t, o.URL, so)
	case o.Loopback:
		server = sockt.DialServer(t, newServer(), so)
	default:
		server = sockt.NewServer(t, newServer(), so)
	}
	r := newRun(t, server, !slices.Contains(o.Skip, "invariants"))
	for _, l := range s.Lines {
		r.step(l)
	}
}
