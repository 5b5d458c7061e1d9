package scenarios

import (
	"bytes"
	"fmt"
	"math/bits"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sockt"
)

// maxConns bounds the connections one generated lifecycle opens.
const maxConns = 4

// Check fuzzes the lifecycles of connections to a server newServer makes, in
// the simulator, with rapid: each test case opens connections with the
// requests of [Options].Connects and takes a random series of steps — every
// kind of step the scenario format has, and the messages of
// [Options].Messages — checking sock's own rules after each step and, at the
// end, that every connection terminates once the clients close and time
// passes, that no handler had a bug sock survived, and that the same steps
// in a fresh world give the same trace. A failure is shrunk by rapid to a
// short series of steps, printed as a scenario ready to be saved under
// testdata/ and replayed with [ReplayFile].
//
// rapid's flags work as its users expect: -rapid.checks (default 100 cases),
// -rapid.steps (default 30 steps a case), -rapid.seed, and the fail files
// under testdata/rapid.
func Check(t rapid.TB, newServer func() *sockhttp.Server, opts *Options) {
	t.Helper()
	c := newChecker(newServer, opts)
	c.opts.checkSkip(t)
	c.shrinking = true
	rapid.Check(t, c.lifecycle)
	c.coverage.report(t)
}

// checker runs the lifecycles of one Check, or of one fuzz target, and
// keeps what they have in common.
type checker struct {
	newServer func() *sockhttp.Server
	opts      Options
	coverage  coverage
	// hung and leaked are set once a step has not returned (to its stack),
	// or goroutines have outlived Terminate: shrinking such a case replays
	// it many times, so later lifecycles wait less to see it again.
	hung   atomic.Pointer[string]
	leaked atomic.Bool
	// pause is the longest pause in progress that ended, in any step so
	// far: what a handler's callbacks may legitimately take.
	pause atomic.Int64
	// failedIn is, once a lifecycle of the Check has failed, the part of
	// it that failed: partSteps, partDeterminism or partLeaks. The
	// lifecycles after it are rapid shrinking that failure, and rapid takes
	// a smaller case only if it fails at the same place (it compares the
	// stacks of the failures): once a lifecycle is past that part, it can
	// only pass, and it stops there. In a shrinking Check only (shrinking
	// set): a fuzz target's inputs are all checked in full.
	failedIn  atomic.Int32
	shrinking bool
}

// The parts of a lifecycle, in order: the steps and their healed end, the
// determinism replay, the leak check.
const (
	partSteps int32 = iota + 1
	partDeterminism
	partLeaks
)

// past reports whether a lifecycle that has come to part without failing
// can no longer fail as the Check's first failure did.
func (c *checker) past(part int32) bool {
	failed := c.failedIn.Load()
	return failed != 0 && part > failed
}

func newChecker(newServer func() *sockhttp.Server, opts *Options) *checker {
	c := &checker{newServer: newServer, opts: opts.withDefaults()}
	c.coverage.init(c.opts.Sometimes)
	return c
}

// lifecycle is one test case.
func (c *checker) lifecycle(rt *rapid.T) {
	o := &c.opts
	seed := rapid.Uint64Min(1).Draw(rt, "world seed") // sockt takes 0 for its default, 1
	hold := rapid.Bool().Draw(rt, "hold infos")
	t := &stepTB{TB: rt, fuzzing: true}
	server := sockt.NewServer(t, c.newServer(), &sockt.Options{Seed: seed})
	r := newRun(t, server, !o.skips("invariants"))
	r.properties = o.Properties
	r.sometimes = &c.coverage
	if !o.skips("bugs") {
		r.bugs = map[*sim.Conn]int{} // at the step, not at cleanup: rapid shrinks what fails in the test's body
	}
	if !o.skips("watchdog") {
		var seen string
		if s := c.hung.Load(); s != nil {
			seen = *s
		}
		r.watch = newWatchdog(o.Watchdog, seen, time.Duration(c.pause.Load()))
		defer func() {
			r.watch.stop()
			c.pause.Store(int64(r.watch.pause)) // lifecycles run one at a time
			if stuck := r.watch.stuck; stuck != "" && seen == "" {
				c.hung.Store(&stuck)
			}
		}()
	}
	part := partSteps
	if c.shrinking {
		defer func() { // before the cleanups: a failure in one is not a part's
			if rt.Failed() {
				c.failedIn.CompareAndSwap(0, part)
			}
		}()
	}
	rt.Cleanup(func() { // last: after sockt's own checks at cleanup
		if rt.Failed() {
			rt.Logf("the steps, as a scenario (replay it with Options.Seed %d):\n%s", seed, r.scenario.String())
		}
	})
	g := &generator{run: r, opts: o}
	if hold {
		r.step(Line{Step: HoldInfos{}})
	}
	g.connect(rt)
	rt.Repeat(g.actions())
	r.t.line.Store(nil)
	healed := !o.skips("liveness")
	if healed {
		g.heal()
	}
	c.coverage.add(r)
	// Shrinking a failure of the steps, the replay and the leak check were
	// most of a lifecycle's time, and for nothing.
	if part = partDeterminism; c.past(part) {
		return
	}
	if !o.skips("determinism") {
		g.determinism(rt, c.newServer, seed, healed)
	}
	if part = partLeaks; c.past(part) {
		return
	}
	// Last, so that the goroutines of both runs have had the most time to
	// end: a handler's goroutine may be told to stop at Terminate.
	// Not once a step has hung in the Check: the failure is the hang, and
	// listing goroutines gets slow as the stuck ones pile up.
	if healed && r.watch != nil && !o.skips("leaks") && c.hung.Load() == nil {
		grace := time.Second
		if c.leaked.Load() {
			grace = 10 * time.Millisecond
		}
		if !r.checkLeaks(grace) {
			c.leaked.Store(true)
			r.t.Fatalf("leak: goroutines the handler started outlived its connections' Terminate (their stacks are logged)")
		}
	}
}

// generator draws the steps of a lifecycle and takes them.
type generator struct {
	run   *run
	opts  *Options
	names []string // connections, in the order opened
}

func (g *generator) take(s Step) { g.run.step(Line{Step: s}) }

func (g *generator) actions() map[string]func(*rapid.T) {
	a := map[string]func(*rapid.T){
		"connect":       g.connect,
		"text":          g.onConn(g.text),
		"binary":        g.onConn(g.binary),
		"fragments":     g.onConn(g.fragments),
		"ping":          g.onConn(g.ping),
		"pong":          g.onConn(g.pong),
		"close":         rarely(g.onConn(g.close)),
		"invalid text":  rarely(g.onConn(g.invalidText)),
		"oversize":      g.onConn(g.oversize),
		"violation":     rarely(g.onConn(g.violation)),
		"peer":          rarely(g.onConn(g.peer)),
		"info":          g.onConn(g.info),
		"advance":       g.advance,
		"shutdown":      g.shutdown,
		"deliver infos": g.deliver,
	}
	if g.opts.Messages != nil {
		a["message"] = g.onConn(g.message)
	}
	return a
}

// rarely makes an action that ends a connection happen a third of the
// times it is drawn, so that connections live long enough to reach deep
// states: with every kind of step equally likely, most ended within a few
// steps, and bugs that take two connections and a few messages were found
// in one run out of eight.
func rarely(action func(*rapid.T)) func(*rapid.T) {
	return func(t *rapid.T) {
		if rapid.IntRange(0, 2).Draw(t, "now") == 0 {
			action(t)
		}
	}
}

// onConn makes an action of a step on a connection: it draws an open one,
// or does nothing if there is none (a rapid Skip costs a stack trace).
func (g *generator) onConn(step func(t *rapid.T, name string, c *sim.Conn)) func(*rapid.T) {
	return func(t *rapid.T) {
		var open [maxConns]string
		n := 0
		for _, name := range g.names {
			if c := g.run.conns[name].Sim(); c != nil && !c.Closed() {
				open[n] = name
				n++
			}
		}
		if n == 0 {
			return
		}
		name := open[rapid.IntRange(0, n-1).Draw(t, "connection")]
		step(t, name, g.run.conns[name].Sim())
	}
}

func (g *generator) connect(t *rapid.T) {
	if len(g.names) == maxConns {
		return // enough
	}
	c := g.opts.Connects[rapid.IntRange(0, len(g.opts.Connects)-1).Draw(t, "request")]
	c.Conn = fmt.Sprintf("c%d", len(g.names)+1)
	g.names = append(g.names, c.Conn)
	g.take(c)
}

// text is a text message, a printable string or any valid one.
var text = rapid.OneOf(
	rapid.SampledFrom([]string{"", "hello", "bye", "stop", "quit", "ping", "{}", `{"type":"join"}`}),
	rapid.StringN(-1, 64, -1),
)

// text and binary send one of the handler's messages half the time, when
// it has some: they lead to deep states, where random bytes stop at the
// parser.
func (g *generator) text(t *rapid.T, name string, c *sim.Conn) {
	if g.opts.Messages != nil && rapid.Bool().Draw(t, "the handler's") {
		g.message(t, name, c)
		return
	}
	g.take(Send{Conn: name, Frame: sock.Text(text.Draw(t, "text"))})
}

func (g *generator) binary(t *rapid.T, name string, c *sim.Conn) {
	if g.opts.Messages != nil && rapid.Bool().Draw(t, "the handler's") {
		g.message(t, name, c)
		return
	}
	g.take(Send{Conn: name, Frame: sock.Binary(rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, "binary"))})
}

func (g *generator) message(t *rapid.T, name string, _ *sim.Conn) {
	g.take(Send{Conn: name, Frame: g.opts.Messages.Draw(t, "message")})
}

// fragments sends one message in two to four fragments, with pings between
// some of them.
func (g *generator) fragments(t *rapid.T, name string, _ *sim.Conn) {
	op := rapid.SampledFrom([]sock.Opcode{sock.OpText, sock.OpBinary}).Draw(t, "message kind")
	parts := rapid.SliceOfN(text, 2, 4).Draw(t, "fragments")
	for i, p := range parts {
		f := SendFragment{Conn: name, Op: sock.OpContinuation, Payload: []byte(p), Final: i == len(parts)-1}
		if i == 0 {
			f.Op = op
		}
		g.take(f)
		if !f.Final && rapid.Bool().Draw(t, "ping between") {
			g.take(Send{Conn: name, Frame: sock.Frame{Op: sock.OpPing, Payload: []byte(p)[:min(len(p), 125)]}})
		}
	}
}

func (g *generator) ping(t *rapid.T, name string, _ *sim.Conn) {
	g.take(Send{Conn: name, Frame: sock.Frame{Op: sock.OpPing, Payload: rapid.SliceOfN(rapid.Byte(), 0, 126).Draw(t, "ping payload")}})
}

func (g *generator) pong(t *rapid.T, name string, _ *sim.Conn) {
	g.take(Send{Conn: name, Frame: sock.Frame{Op: sock.OpPong, Payload: rapid.SliceOfN(rapid.Byte(), 0, 16).Draw(t, "pong payload")}})
}

// closeCodes mixes codes a peer may send with codes it may not.
var closeCodes = rapid.SampledFrom([]sock.CloseCode{1000, 1001, 1002, 1003, 1007, 1008, 1011, 1012, 1013, 3000, 4000, 4999,
	0, 999, 1004, 1005, 1006, 1014, 1015, 2000, 5000})

func (g *generator) close(t *rapid.T, name string, _ *sim.Conn) {
	f := sock.Frame{Op: sock.OpClose}
	switch rapid.IntRange(0, 3).Draw(t, "close shape") {
	case 1: // a code and a text, valid or not
		code := closeCodes.Draw(t, "close code")
		reason := rapid.SampledFrom([]string{"", "bye", strings.Repeat("r", 123), strings.Repeat("r", 124), "\xff"}).Draw(t, "close text")
		f.Payload = append([]byte{byte(code >> 8), byte(code)}, reason...)
	case 2: // one byte
		f.Payload = []byte{3}
	case 3:
		f.Payload = []byte{byte(closeCodes.Draw(t, "close code") >> 8), byte(closeCodes.Draw(t, "close code"))}
	}
	g.take(Send{Conn: name, Frame: f})
}

func (g *generator) invalidText(t *rapid.T, name string, _ *sim.Conn) {
	bad := rapid.SampledFrom([]string{"\xff", "caf\xe9", "\xed\xa0\x80", "ok \xc3"}).Draw(t, "invalid text")
	g.take(Send{Conn: name, Frame: sock.Frame{Op: sock.OpText, Payload: []byte(bad)}})
}

func (g *generator) oversize(t *rapid.T, name string, c *sim.Conn) {
	size := c.Session().Options().MaxMessageSize + 1
	// Rarely, and the rarer the larger: a big message costs. One time in
	// 2^k for a message of 2^k times 32 KiB (1/64 at sock's default
	// limit), by a run of fair coins: rapid's integers lean towards 0, and
	// the IntRange(0, 64) this was drew 0 one time in ten, which made
	// copying and comparing a megabyte a sixth of a Check's time.
	if size > 16<<20 {
		return
	}
	for range bits.Len64(uint64(size >> 15)) {
		if !rapid.Bool().Draw(t, "oversize now") {
			return
		}
	}
	if int64(len(zeros)) < size {
		zeros = make([]byte, size)
	}
	g.take(Send{Conn: name, Frame: sock.Binary(zeros[:size])})
}

// zeros is the payload of oversize messages, shared, never written: the
// simulator copies what it is sent. A fresh one each time was a fifth of
// all a Check allocated.
var zeros []byte

func (g *generator) violation(t *rapid.T, name string, _ *sim.Conn) {
	what := rapid.SampledFrom(violationNames).Draw(t, "violation")
	g.take(Violate{Conn: name, What: what})
}

func (g *generator) peer(t *rapid.T, name string, _ *sim.Conn) {
	act := rapid.SampledFrom([]PeerAct{Drop, StopReading, ResumeReading, IgnoreClose, IgnorePings}).Draw(t, "peer")
	g.take(Peer{Conn: name, Act: act})
}

func (g *generator) info(t *rapid.T, name string, _ *sim.Conn) {
	g.take(Info{Conn: name, Value: text.Draw(t, "info")})
}

func (g *generator) advance(t *rapid.T) {
	d := rapid.SampledFrom([]time.Duration{0, time.Millisecond, time.Second, 5 * time.Second, 30 * time.Second, 61 * time.Second}).Draw(t, "advance")
	g.take(Advance{Duration: d})
}

func (g *generator) shutdown(t *rapid.T) {
	if rapid.IntRange(0, 3).Draw(t, "shutdown now") != 0 { // rarely: it ends everything
		return
	}
	g.take(Shutdown{})
}

func (g *generator) deliver(t *rapid.T) { g.take(DeliverInfos{}) }

// heal ends the lifecycle: faults healed, every client closes, time passes
// past every timeout; then every connection must have terminated.
func (g *generator) heal() {
	r := g.run
	r.exec(g.healing)
	// The end is checked here, in the test's body: a failure left to
	// sockt's cleanup would surface in rapid's next case, which cannot
	// reproduce it.
	g.healed()
}

// healing heals faults, closes every client and lets time pass.
func (g *generator) healing() {
	r := g.run
	for _, name := range g.names {
		c := r.conns[name].Sim()
		if c == nil || c.Closed() {
			continue
		}
		c.ResumeReading()
		if c.Terminations() == 0 {
			c.Close(sock.CloseNormal, "done")
		}
	}
	w := r.server.World()
	w.HoldInfos(false)
	w.Advance(time.Hour)
}

// healed checks the end of healing: every connection has terminated once.
func (g *generator) healed() {
	r := g.run
	r.checkStep()
	for _, name := range g.names {
		if c := r.conns[name].Sim(); c != nil && (!c.Closed() || c.Terminations() != 1) {
			r.t.Fatalf("liveness: after the clients closed and an hour passed, connection %s is %s, Terminate ran %d times",
				name, map[bool]string{true: "closed", false: "still open"}[c.Closed()], c.Terminations())
		}
	}
}

// determinism takes the same steps in a fresh world with the same seed and
// fails unless the trace is the same: a difference means state shared
// between connections or runs, or the wall clock, where Conn.Now belongs.
func (g *generator) determinism(rt *rapid.T, newServer func() *sockhttp.Server, seed uint64, healed bool) {
	r := g.run
	first := r.server.World().Trace()
	again := &stepTB{TB: r.t.TB, fuzzing: true}
	server := sockt.NewServer(again, newServer(), &sockt.Options{Seed: seed})
	r2 := newRun(again, server, false)
	r2.watch = r.watch // the steps and their goroutines on the same worker
	g2 := &generator{run: r2, opts: g.opts, names: g.names}
	// The whole replay in one step of the worker: nothing is checked
	// between its steps, and handing each over and back was a tenth of a
	// lifecycle. The watchdog's bound is on progress, so a long replay is
	// no hang.
	r2.exec(func() {
		for _, l := range r.scenario.Lines {
			again.line.Store(&l)
			r2.do(l.Step)
		}
		again.line.Store(nil)
		if healed {
			g2.healing()
		}
	})
	if healed {
		g2.healed()
	}
	second := server.World().Trace()
	if i := firstDifference(first, second); i >= 0 {
		// The message stays the same from run to run, as rapid's shrinking
		// needs; the difference, which does not, goes to the log.
		rt.Logf("%s", showDifference(first, second, i))
		r.t.Fatalf("determinism: the same steps in a fresh world gave another trace: state shared between connections or runs, or the wall clock where Conn.Now belongs? (the first difference is logged)")
	}
}

// firstDifference returns the index of the first event where two traces
// differ, or -1 if they are the same. It compares events field by field,
// formatting only their details: comparing whole lines cost a third of a
// lifecycle.
func firstDifference(a, b sim.Trace) int {
	for i := range min(len(a), len(b)) {
		x, y := a[i], b[i]
		if x.At != y.At || x.Conn != y.Conn || x.Kind != y.Kind || x.Frame.Op != y.Frame.Op ||
			!bytes.Equal(x.Frame.Payload, y.Frame.Payload) || (x.Detail == nil) != (y.Detail == nil) ||
			x.Detail != nil && x.Detail.String() != y.Detail.String() {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// showDifference shows where two traces part, at event i.
func showDifference(a, b sim.Trace, i int) string {
	if i < len(a) && i < len(b) {
		return fmt.Sprintf("event %d:\n\tfirst:  %v\n\tsecond: %v", i+1, a[i], b[i])
	}
	return fmt.Sprintf("one trace has %d events, the other %d", len(a), len(b))
}

// Fuzz returns a go test -fuzz target that runs one lifecycle of [Check]
// per input, for coverage-guided fuzzing:
//
//	func FuzzRoom(f *testing.F) { f.Fuzz(scenarios.Fuzz(newRoomServer, nil)) }
//
//	go test -fuzz FuzzRoom
func Fuzz(newServer func() *sockhttp.Server, opts *Options) func(*testing.T, []byte) {
	return rapid.MakeFuzz(newChecker(newServer, opts).lifecycle)
}
