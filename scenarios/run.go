package scenarios

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sockt"
)

// run carries out the steps of a scenario on a sockt server, in the
// simulator or over loopback, and checks the invariants after each step in
// the simulator.
type run struct {
	t        *stepTB
	server   *sockt.Server
	conns    map[string]*sockt.Conn
	order    []string               // the connections' names, in the order opened
	partial  map[string]*sock.Frame // fragmented messages being sent, by connection
	scenario Scenario               // the steps carried out, for failure messages

	// What is checked after each step, in the simulator.
	rules      *invariants       // sock's own, unless switched off
	bugs       map[*sim.Conn]int // handler bugs already reported, when each step fails on new ones
	properties []Property        // the user's
	sometimes  *coverage         // the user's Sometimes conditions, if any
	reached    map[string]bool   // what the lifecycle reached, for coverage
	watch      *watchdog         // runs the steps, if set

	seen     int                                // events of the world's trace already checked
	names    map[uint64]string                  // connections by simulated ID
	checkers map[uint64][]func(sim.Event) error // each connection's, one a property
}

func newRun(t *stepTB, server *sockt.Server, checkInvariants bool) *run {
	r := &run{t: t, server: server, conns: map[string]*sockt.Conn{}, partial: map[string]*sock.Frame{},
		names: map[uint64]string{}, reached: map[string]bool{}}
	if server.World() != nil && checkInvariants {
		r.rules = newInvariants()
	}
	return r
}

// step carries out one line's step, then checks the invariants.
func (r *run) step(l Line) {
	if l.Step == nil {
		return
	}
	r.scenario.Lines = append(r.scenario.Lines, Line{Step: l.Step})
	r.t.line.Store(&l)
	defer r.t.line.Store(nil)
	r.exec(func() { r.do(l.Step) })
	r.checkStep()
}

// exec runs f, which may call the handler: on the watchdog's goroutine if
// there is one, failing the test if f does not return in time.
func (r *run) exec(f func()) {
	if r.watch == nil {
		f()
		return
	}
	o := r.watch.run(f, r.server.World().Progress)
	switch {
	case r.watch.stuck != "":
		r.t.abandoned = true
		r.t.logf("the step has stopped making progress; the stuck goroutine:\n%s", r.watch.stuck)
		r.t.Fatalf("watchdog: a callback did not return (its stack is logged)")
	case o.panicked != nil:
		if reflect.TypeOf(o.panicked).PkgPath() != "pgregory.net/rapid" { // not a test failure: a bug
			r.t.logf("panic on the step's goroutine: %v\n%s", o.panicked, o.stack)
		}
		panic(o.panicked)
	}
}

// checkStep fails on a break of sock's rules, of a property, or on a
// handler bug sock survived, since the last check.
func (r *run) checkStep() {
	if w := r.server.World(); w != nil && (r.rules != nil || r.properties != nil || r.sometimes != nil) {
		events := w.TraceFrom(r.seen)
		r.seen += len(events)
		r.checkEvents(events)
	}
	if r.bugs == nil {
		return
	}
	for _, name := range r.order { // the same report in every run, as rapid's shrinking needs
		sc := r.conns[name].Sim()
		if sc == nil {
			continue
		}
		if bugs := sc.Bugs(); len(bugs) > r.bugs[sc] {
			r.bugs[sc] = len(bugs)
			r.t.Fatalf("handler bug on %s: %s", name, strings.Join(bugs, "; "))
		}
	}
}

// checkEvents checks the events of a step in order.
func (r *run) checkEvents(events []sim.Event) {
	var broken []string
	for _, e := range events {
		if e.Conn == 0 {
			continue
		}
		if r.rules != nil {
			if problem := r.rules.check(e); problem != "" {
				broken = append(broken, fmt.Sprintf("%s: %s (at %v)", r.names[e.Conn], problem, e))
			}
		}
		if r.sometimes != nil {
			r.sometimes.observe(r, e)
		}
		if len(broken) > 0 || r.properties == nil {
			continue
		}
		checkers := r.checkers[e.Conn]
		if checkers == nil {
			for _, p := range r.properties {
				checkers = append(checkers, p.New())
			}
			if r.checkers == nil {
				r.checkers = map[uint64][]func(sim.Event) error{}
			}
			r.checkers[e.Conn] = checkers
		}
		for i, check := range checkers {
			if err := check(e); err != nil {
				// The message stays the same from run to run, as rapid's
				// shrinking needs; what broke it goes to the log.
				r.t.logf("%s: %v (at %v)", r.names[e.Conn], err, e)
				r.t.Fatalf("property %q broken on %s (what broke it is logged)", r.properties[i].Name, r.names[e.Conn])
			}
		}
	}
	if len(broken) > 0 {
		r.t.Fatalf("sock broke its own rules:\n\t%s", strings.Join(broken, "\n\t"))
	}
}

// checkLeaks reports whether the goroutines the steps started have ended
// within grace, the connections all terminated; it logs those that have not.
func (r *run) checkLeaks(grace time.Duration) bool {
	left := r.watch.leaks(grace)
	if len(left) > 0 {
		r.t.logf("the goroutines left %v after the last Terminate:\n%s", grace, strings.Join(left, "\n\n"))
	}
	return len(left) == 0
}

// where names a line in failure messages: "FILE:LINE: STEP", or the step.
func where(file string, l Line) string {
	first, _, _ := strings.Cut(l.Step.String(), "\n")
	switch {
	case file != "" && l.Pos > 0:
		return fmt.Sprintf("%s:%d: %s", file, l.Pos, first)
	case l.Pos > 0:
		return fmt.Sprintf("line %d: %s", l.Pos, first)
	}
	return first
}

func (r *run) do(step Step) {
	switch s := step.(type) {
	case Connect:
		if r.conns[s.Conn] != nil {
			r.t.Fatalf("a connection named %s is open already: name each connection once", s.Conn)
		}
		c := r.server.Connect(r.request(s))
		r.conns[s.Conn] = c
		r.order = append(r.order, s.Conn)
		if sc := c.Sim(); sc != nil {
			r.names[sc.ID()] = s.Conn
		}
	case Advance:
		r.server.Advance(s.Duration)
	case Shutdown:
		r.server.Shutdown()
	case HoldInfos:
		r.world().HoldInfos(true)
	case DeliverInfos:
		r.world().DeliverInfos()
	case Send:
		c := r.conn(s.Conn)
		if s.Frame.Op.IsData() && r.rules != nil && c.Sim() != nil {
			r.rules.sent(c.Sim(), s.Frame)
		}
		c.SendFrame(s.Frame)
	case SendFragment:
		r.fragment(s)
	case Violate:
		if c := r.conn(s.Conn).Sim(); c != nil {
			c.Violate(s.What)
			return
		}
		r.sendRaw(s.Conn, s)
	case Peer:
		r.peer(s)
	case Info:
		r.conn(s.Conn).SendInfo(s.Value)
	case ExpectAccepted:
		r.conn(s.Conn).ExpectAccepted(s.Subprotocol)
	case ExpectRefused:
		h := r.conn(s.Conn).ExpectRefused(s.Status)
		if s.HasBody && h.Body != s.Body {
			r.t.Fatalf("refused with body %q, want %q", h.Body, s.Body)
		}
	case ExpectFrame:
		r.expectFrame(r.conn(s.Conn), s.Frame)
	case ExpectMatch:
		r.conn(s.Conn).ExpectPush(sockt.Regexp(s.Pattern))
	case ExpectJSON:
		r.conn(s.Conn).ExpectPush(maskedJSON(s.JSON))
	case ExpectNothing:
		r.conn(s.Conn).RefutePush()
	case ExpectTerminate:
		r.conn(s.Conn).ExpectTerminate(s.Kind)
	default:
		r.t.Fatalf("scenarios: unknown step %T", step)
	}
}

// request builds the upgrade request of a connect step, expanding ${NAME}
// in header values from the environment.
func (r *run) request(s Connect) *http.Request {
	target := s.Target
	if target == "" {
		target = "/"
	}
	// What httptest.NewRequest makes, without parsing a request: Check
	// makes many.
	u, err := url.ParseRequestURI(target)
	if err != nil {
		r.t.Fatalf("connect %s: bad target: %v", s.Conn, err)
	}
	req := &http.Request{
		Method: http.MethodGet, URL: u, RequestURI: target,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Body: http.NoBody, Host: "example.com", RemoteAddr: "192.0.2.1:1234",
	}
	if req.Header, err = s.Headers(); err != nil {
		r.t.Fatalf("%v", err)
	}
	return req
}

func (r *run) conn(name string) *sockt.Conn {
	c := r.conns[name]
	if c == nil {
		r.t.Fatalf("no connection named %s: connect it first", name)
	}
	return c
}

// sim returns the simulated connection named name, failing over loopback.
func (r *run) sim(name string) *sim.Conn {
	c := r.conn(name).Sim()
	if c == nil {
		r.t.Fatalf("this step needs the simulator")
	}
	return c
}

func (r *run) world() *sim.World {
	w := r.server.World()
	if w == nil {
		r.t.Fatalf("this step needs the simulator")
	}
	return w
}

// sendRaw sends the bytes of step s on connection name's socket.
func (r *run) sendRaw(name string, s Step) {
	b, err := wireBytes(s)
	if err != nil {
		r.t.Fatalf("%v", err)
	}
	r.conn(name).SendRaw(b)
}

func (r *run) fragment(s SendFragment) {
	c := r.conn(s.Conn).Sim()
	if c == nil { // over a socket: the frame as it is
		r.sendRaw(s.Conn, s)
		return
	}
	m := r.partial[s.Conn]
	switch {
	case s.Op != sock.OpContinuation:
		m = &sock.Frame{Op: s.Op}
		r.partial[s.Conn] = m
	case m == nil:
		m = &sock.Frame{} // a continuation of nothing: the peer breaks the protocol
	}
	m.Payload = append(m.Payload, s.Payload...)
	if s.Final {
		delete(r.partial, s.Conn)
		if m.Op.IsData() && r.rules != nil {
			r.rules.sent(c, *m)
		}
	}
	c.SendFragment(s.Op, s.Payload, s.Final)
}

func (r *run) peer(s Peer) {
	c := r.sim(s.Conn)
	switch s.Act {
	case Drop:
		c.Drop()
	case StopReading:
		c.StopReading()
	case ResumeReading:
		c.ResumeReading()
	case IgnoreClose:
		c.IgnoreClose()
	case IgnorePings:
		c.IgnorePings()
	default:
		r.t.Fatalf("scenarios: unknown peer act %v", s.Act)
	}
}

func (r *run) expectFrame(c *sockt.Conn, f sock.Frame) {
	switch f.Op {
	case sock.OpPong:
		c.ExpectPong(f.Payload)
	case sock.OpClose:
		code, text, err := f.ParseClose()
		if err != nil {
			r.t.Fatalf("a close frame the server may not send: %v", err)
		}
		c.ExpectClose(code, text)
	default:
		c.ExpectPush(sockt.Equal(f))
	}
}

// stepTB is the test, with failures prefixed by the step that failed.
type stepTB struct {
	sockt.TB
	file string               // the scenario file, if any
	line atomic.Pointer[Line] // the step being taken, if any: set on the watchdog's worker in a replay
	// abandoned is set when a step did not return: the world is left as
	// it is, with no cleanup.
	abandoned bool
	// fuzzing is set in Check, whose failures rapid reports with their
	// steps, not their lines: Helper, a walk of the stack, does nothing.
	fuzzing bool
}

// Helper marks the caller as a helper, unless fuzzing.
func (t *stepTB) Helper() {
	if !t.fuzzing {
		t.TB.Helper()
	}
}

// logf logs, if the test can.
func (t *stepTB) logf(format string, args ...any) {
	if l, ok := t.TB.(interface{ Logf(string, ...any) }); ok {
		l.Logf(format, args...)
	}
}

// Cleanup registers f to run at the end of the test, unless the world it
// would touch has been abandoned to a callback that did not return.
func (t *stepTB) Cleanup(f func()) {
	t.TB.Cleanup(func() {
		if !t.abandoned {
			f()
		}
	})
}

func (t *stepTB) Errorf(format string, args ...any) {
	t.TB.Helper()
	t.TB.Errorf("%s", t.prefix(fmt.Sprintf(format, args...)))
}

func (t *stepTB) Fatalf(format string, args ...any) {
	t.TB.Helper()
	t.TB.Fatalf("%s", t.prefix(fmt.Sprintf(format, args...)))
}

func (t *stepTB) prefix(msg string) string {
	l := t.line.Load()
	if l == nil {
		return msg
	}
	return where(t.file, *l) + ": " + msg
}
