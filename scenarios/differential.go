package scenarios

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/google/go-cmp/cmp"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sockt"
)

// Differential replays the scenario s twice, each time against a server
// newServer makes — in the simulator, and over a loopback socket through
// the server's ServeHTTP, as production serves it — and fails t unless
// every client saw the same both ways: the answer to its upgrade request,
// every frame it received in order, and what Terminate received (its kind
// and close code). At the end each connection still open is closed by its
// client. Expectations in s are checked both ways too.
//
// Timing is not compared. So that each step's effects are over before the
// next step, after each step every open connection syncs ([sockt.Conn.Sync]),
// both ways: handlers see its pings (HandleControl). Fragments and
// protocol violations go over the socket as the client's own bytes
// ([sockt.Conn.SendRaw]); steps only the simulator can take (the other
// faults, held infos) fail; advance sleeps over loopback, so keep it short.
//
// Two differences are legitimate, and not reported (docs/architecture.md
// lists them with their reasons):
//   - A protocol error that gorilla/websocket finds itself in production
//     closes with 1002 and gorilla's text, where the simulator's Session
//     gives its own: close frames with 1002 are compared by code.
//   - A client's close frame of one byte is a protocol error (RFC 6455
//     section 5.5.1), which the simulator answers with 1002; gorilla reads it in
//     production as a close without a code, 1005, and sock answers it as
//     one. After such a close, how the connection ended is not compared.
//
// Refusal bodies are compared up to 1 KiB, all that gorilla's dialer keeps.
// Real time passes over loopback and not in the simulator: a handler whose
// timers fire within the replay's duration (a heartbeat of milliseconds)
// pushes more over loopback, so Differential suits handlers whose timers are
// longer than a replay.
func Differential(t sockt.TB, newServer func() *sockhttp.Server, s *Scenario, opts *Options) {
	t.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	o.checkSkip(t)
	st := &stepTB{TB: t, file: s.Name}
	inSim := observe(st, newServer, s, o, false)
	overLoopback := observe(st, newServer, s, o, true)
	if diff := cmp.Diff(inSim, overLoopback); diff != "" {
		t.Errorf("scenarios: what the clients saw differs between the simulator and a loopback socket (-sim +loopback):\n%s", diff)
	}
}

// observation is what one client saw of its connection.
type observation struct {
	Conn      string
	Handshake string   // "accepted SUBPROTOCOL" or "refused STATUS BODY"
	Frames    []string // whole: opcode and payload
	Terminate string   // the reason's kind and code
}

// observe replays s in the simulator or over loopback and returns what each
// client saw.
func observe(t *stepTB, newServer func() *sockhttp.Server, s *Scenario, o Options, loopback bool) []observation {
	so := &sockt.Options{Seed: o.Seed}
	var server *sockt.Server
	if loopback {
		server = sockt.DialServer(t, newServer(), so)
	} else {
		server = sockt.NewServer(t, newServer(), so)
	}
	r := newRun(t, server, !slices.Contains(o.Skip, "invariants"))
	for _, l := range s.Lines {
		r.step(l)
		if l.Step != nil {
			r.sync()
		}
	}
	t.line.Store(nil)
	var seen []observation
	for _, name := range r.order {
		c := r.conns[name]
		h := c.Handshake()
		ob := observation{Conn: name, Handshake: "accepted " + h.Subprotocol}
		if h.Status != http.StatusSwitchingProtocols {
			ob.Handshake = fmt.Sprintf("refused %d %q", h.Status, h.Body[:min(len(h.Body), 1024)])
			seen = append(seen, ob)
			continue
		}
		frames, reason := c.End()
		oneByte := r.closedWithOneByte(name)
		for _, f := range frames {
			switch {
			case f.Op == sock.OpClose && oneByte:
				ob.Frames = append(ob.Frames, "close (answering a close of one byte)")
			case f.Op == sock.OpClose && closeCode(f) == sock.CloseProtocolError:
				ob.Frames = append(ob.Frames, "close 1002 (its text aside)")
			default:
				ob.Frames = append(ob.Frames, whole(f))
			}
		}
		ob.Terminate = fmt.Sprintf("%v %d", reason.Kind, reason.Code)
		if oneByte {
			ob.Terminate = "(after a close of one byte)"
		}
		seen = append(seen, ob)
	}
	return seen
}

// closedWithOneByte reports whether the first close frame the client
// named sent had a payload of one byte.
func (r *run) closedWithOneByte(name string) bool {
	for _, l := range r.scenario.Lines {
		if s, ok := l.Step.(Send); ok && s.Conn == name && s.Frame.Op == sock.OpClose {
			return len(s.Frame.Payload) == 1
		}
	}
	return false
}

// sync waits for every open connection's server to have handled all that
// came before.
func (r *run) sync() {
	for _, name := range r.order {
		if c := r.conns[name]; c.Handshake().Status == http.StatusSwitchingProtocols {
			c.Sync()
		}
	}
}

// whole formats f with all its payload, where sock.Frame's String cuts it
// at 64 bytes: frames differing past that must not compare equal.
func whole(f sock.Frame) string {
	if f.Op == sock.OpText || f.Op == sock.OpClose {
		return fmt.Sprintf("%v %q", f.Op, f.Payload)
	}
	return fmt.Sprintf("%v %x", f.Op, f.Payload)
}

// closeCode returns the code of a close frame (CloseNoStatus for one
// without a code), or 0 for a malformed one.
func closeCode(f sock.Frame) sock.CloseCode {
	code, _, err := f.ParseClose()
	if err != nil {
		return 0
	}
	return code
}
