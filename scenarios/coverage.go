package scenarios

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"pgregory.net/rapid"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
)

// coverage counts the lifecycles of a Check that reached each milestone —
// built-in ones, and the user's Sometimes conditions — so that a green run
// can be told from a vacuous one.
type coverage struct {
	sometimes map[string]func(sim.Event) bool

	mu         sync.Mutex
	lifecycles int
	steps      int
	reached    map[string]int
}

func (c *coverage) init(sometimes map[string]func(sim.Event) bool) {
	c.sometimes = sometimes
	c.reached = map[string]int{}
}

// sometimesPrefix keeps the user's condition names apart from the built-in
// milestones', whatever they are.
const sometimesPrefix = "sometimes: "

// observe notes the Sometimes conditions e meets in the run's lifecycle.
func (c *coverage) observe(r *run, e sim.Event) {
	for name, holds := range c.sometimes {
		if key := sometimesPrefix + name; !r.reached[key] && holds(e) {
			r.reached[key] = true
		}
	}
}

// add counts what the run's lifecycle reached.
func (c *coverage) add(r *run) {
	milestones(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lifecycles++
	c.steps += len(r.scenario.Lines)
	for name := range r.reached {
		c.reached[name]++
	}
}

// milestones notes in r.reached the built-in milestones its steps reached.
func milestones(r *run) {
	partial := map[string]bool{} // connections in the middle of a fragmented message
	conns := 0
	for _, l := range r.scenario.Lines {
		var m string
		switch s := l.Step.(type) {
		case Connect:
			if conns++; conns == 2 {
				m = "two connections or more"
			}
		case Send:
			switch {
			case s.Frame.Op == sock.OpClose:
				m = "client close"
			case s.Frame.Op == sock.OpPing && partial[s.Conn]:
				m = "ping between fragments"
			case s.Frame.Op == sock.OpText && !utf8.Valid(s.Frame.Payload):
				m = "invalid UTF-8"
			case s.Frame.Op.IsData() && r.conns[s.Conn].Sim() != nil && int64(len(s.Frame.Payload)) > r.conns[s.Conn].Sim().Session().Options().MaxMessageSize:
				m = "oversize message"
			}
		case SendFragment:
			partial[s.Conn] = !s.Final
		case Violate:
			m = "protocol violation"
		case Peer:
			m = "peer: " + s.Act.String()
		case Info:
			m = "info"
		case Advance:
			m = "time passed"
		case Shutdown:
			m = "shutdown"
			if slices.Contains(slices.Collect(maps.Values(partial)), true) {
				r.reached["shutdown mid-message"] = true
			}
		}
		if m != "" {
			r.reached[m] = true
		}
	}
	for _, c := range r.conns {
		if sc := c.Sim(); sc != nil && sc.Terminations() > 0 {
			r.reached["Terminate: "+sc.Reason().Kind.String()] = true
		}
	}
}

// report logs the counts, seen with go test -v, and fails t if a Sometimes
// condition never held.
func (c *coverage) report(t rapid.TB) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "scenarios: what %d lifecycles of %d steps in all reached:", c.lifecycles, c.steps)
	for _, name := range slices.Sorted(maps.Keys(c.reached)) {
		if !strings.HasPrefix(name, sometimesPrefix) {
			fmt.Fprintf(&b, "\n\t%6d  %s", c.reached[name], name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.sometimes)) {
		fmt.Fprintf(&b, "\n\t%6d  %s%s", c.reached[sometimesPrefix+name], sometimesPrefix, name)
	}
	t.Logf("%s", b.String())
	if t.Failed() || c.lifecycles == 0 {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(c.sometimes)) {
		if c.reached[sometimesPrefix+name] == 0 {
			t.Errorf("sometimes: %q never held in %d lifecycles: the steps never reach it (Options.Messages can lead them there)", name, c.lifecycles)
		}
	}
}
