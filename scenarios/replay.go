package scenarios

import (
	"slices"

	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sockt"
)

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
	o.checkSkip(t)
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
