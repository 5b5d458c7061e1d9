package scenarios

import (
	"crypto/tls"
	"slices"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
)

// Options configures [Check], [Fuzz], [Replay], [Differential] and
// [Conformance]; a nil *Options means all defaults. Each reads what
// concerns it: Check and Fuzz everything but Loopback, URL and
// TLSClientConfig; Replay Loopback, URL, TLSClientConfig, Seed and Skip;
// Differential Seed and Skip; Conformance Connects (the first) and Skip.
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
	// only the simulator can take (faults but violations, held infos).
	// TLSClientConfig configures wss://.
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
	// started outlive Terminate; it needs the other two, and is off
	// without either) and "determinism" (the same steps in a fresh world
	// give the same trace). For Conformance, it also skips cases by name.
	// A name that is none of these fails the test: a typo must not switch
	// nothing off in silence.
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

	// Watchdog bounds, in real time, how long a step of Check may go
	// without progress — no callback called or returned, no frame written
	// — before it is reported as a callback that does not return, with
	// its goroutine's stack. A step of many callbacks may take longer.
	// Default 1s. Once a step has hung, the lifecycles shrinking it take a
	// pause of 2ms, or four times the longest pause that ended in the
	// Check, for the same hang: shrinking replays it hundreds of times.
	// Goroutines the handler started are given a second to end after the
	// last Terminate, and 10ms once some have not; once a step has hung,
	// they are not looked for.
	Watchdog time.Duration
}

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if len(c.Connects) == 0 {
		c.Connects = []Connect{{Target: "/"}}
	}
	if c.Watchdog == 0 {
		c.Watchdog = time.Second
	}
	return c
}

func (o *Options) skips(check string) bool { return slices.Contains(o.Skip, check) }

// checks are the names Options.Skip knows, besides Conformance's cases.
var checks = []string{"invariants", "bugs", "watchdog", "liveness", "leaks", "determinism"}

// checkSkip fails t if Skip names something that is neither a check nor
// one of more.
func (o *Options) checkSkip(t interface{ Fatalf(string, ...any) }, more ...string) {
	for _, name := range o.Skip {
		if !slices.Contains(checks, name) && !slices.Contains(more, name) {
			t.Fatalf("scenarios: Options.Skip names %q, which is no check; the checks are %s", name, strings.Join(checks, ", "))
		}
	}
}
