package scenarios

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"

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
	partial  map[string]*sock.Frame // fragmented messages being sent, by connection
	rules    *invariants            // nil over loopback, or when switched off
	bugs     map[*sim.Conn]int      // handler bugs already reported, when each step fails on new ones
	scenario Scenario               // the steps carried out, for failure messages
}

func newRun(t *stepTB, server *sockt.Server, checkInvariants bool) *run {
	r := &run{t: t, server: server, conns: map[string]*sockt.Conn{}, partial: map[string]*sock.Frame{}}
	if w := server.World(); w != nil && checkInvariants {
		r.rules = newInvariants(w)
	}
	return r
}

// step carries out one line's step, then checks the invariants.
func (r *run) step(l Line) {
	if l.Step == nil {
		return
	}
	r.scenario.Lines = append(r.scenario.Lines, Line{Step: l.Step})
	r.t.line = &l
	defer func() { r.t.line = nil }()
	r.do(l.Step)
	r.checkStep()
}

// checkStep fails on a break of sock's rules, or on a handler bug sock
// survived, since the last check.
func (r *run) checkStep() {
	if r.rules != nil {
		if broken := r.rules.check(); len(broken) > 0 {
			r.t.Fatalf("sock broke its own rules:\n\t%s", strings.Join(broken, "\n\t"))
		}
	}
	if r.bugs == nil {
		return
	}
	names := slices.Sorted(maps.Keys(r.conns)) // the same report in every run, as rapid's shrinking needs
	for _, name := range names {
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
		r.conns[s.Conn] = r.server.Connect(r.request(s))
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
		r.sim(s.Conn).Violate(s.What)
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
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for _, h := range s.Header {
		var missing []string
		value := envRef.ReplaceAllStringFunc(h.Value, func(ref string) string {
			name := ref[2 : len(ref)-1]
			v, ok := os.LookupEnv(name)
			if !ok {
				missing = append(missing, name)
			}
			return v
		})
		if len(missing) > 0 {
			r.t.Fatalf("header %s needs $%s, which is not set", h.Name, strings.Join(missing, " and $"))
		}
		req.Header.Add(h.Name, value)
	}
	return req
}

// envRef is a reference to an environment variable in a header value; a $
// on its own is a $.
var envRef = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*\}`)

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

func (r *run) fragment(s SendFragment) {
	c := r.sim(s.Conn)
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
	file string // the scenario file, if any
	line *Line  // the step being taken, if any
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
	if t.line == nil {
		return msg
	}
	return where(t.file, *t.line) + ": " + msg
}
