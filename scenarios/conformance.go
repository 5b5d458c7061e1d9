package scenarios

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sockt"
)

// Conformance runs protocol checks — pings and pongs, UTF-8, fragmentation,
// close codes and the closing handshake, the size limit, protocol
// violations — against the user's own server, in the process: each case a
// subtest, in the simulator and, unless production differs, over a
// loopback socket through ServeHTTP, where violations, fragments and
// frames meant to arrive together go as the client's own bytes. Nothing to install,
// unlike the Autobahn testsuite: the handler, its options and its request
// factory are the ones production serves. In the simulator sock's own rules
// are checked after every step, as [Replay] does.
//
// Each case opens one connection with the first of [Options].Connects
// (default: a GET of "/"), which the server must accept, and checks only
// what the protocol decides, whatever the handler pushes. Options.Skip
// skips cases by name.
func Conformance(t *testing.T, newServer func() *sockhttp.Server, opts *Options) {
	t.Helper()
	o := opts.withDefaults()
	names := make([]string, len(conformanceCases))
	for i, c := range conformanceCases {
		names[i] = c.name
	}
	o.checkSkip(t, names...)
	for _, c := range conformanceCases {
		t.Run(c.name, func(t *testing.T) {
			if o.skips(c.name) {
				t.Skip("skipped by Options.Skip")
			}
			t.Run("sim", func(t *testing.T) { c.run(t, newServer, &o, false) })
			if !c.simOnly {
				t.Run("loopback", func(t *testing.T) { c.run(t, newServer, &o, true) })
			}
		})
	}
}

// conformanceCase sends what steps returns on a connection, ends it, and
// checks with want what the client saw.
type conformanceCase struct {
	name    string
	simOnly bool // production differs (see Differential)
	raw     bool // over a socket, the steps go as bytes in one write: what gorilla's client refuses to send, frames to arrive in one read
	steps   func(limit int64) []Step
	want    func(frames []sock.Frame, r sock.Reason) error
}

// run runs the case in the simulator or over loopback.
func (c conformanceCase) run(t *testing.T, newServer func() *sockhttp.Server, o *Options, loopback bool) {
	st := &stepTB{TB: t}
	var server *sockt.Server
	if loopback {
		server = sockt.DialServer(st, newServer(), nil)
	} else {
		server = sockt.NewServer(st, newServer(), nil)
	}
	r := newRun(st, server, !o.skips("invariants"))
	connect := o.Connects[0]
	connect.Conn = "c"
	r.step(Line{Step: connect})
	conn := r.conns["c"]
	if h := conn.Handshake(); h.Status != http.StatusSwitchingProtocols {
		t.Fatalf("scenarios: Conformance needs a request the server accepts (Options.Connects); it refused %s with %d %q", connect.Target, h.Status, h.Body)
	}
	limit := messageLimit(st, newServer, connect)
	steps := c.steps(limit)
	if steps == nil {
		t.Skipf("MaxMessageSize is %d: too large to send past", limit)
	}
	if loopback && c.raw {
		var b []byte
		for _, s := range steps {
			frame, err := wireBytes(s)
			if err != nil {
				t.Fatalf("scenarios: %v", err)
			}
			b = append(b, frame...)
			r.scenario.Add(withConn(s, "c")) // for the report: sent below, in one write
		}
		conn.SendRaw(b)
	} else {
		for _, s := range steps {
			s = withConn(s, "c")
			r.step(Line{Step: s})
		}
	}
	st.line.Store(nil)
	frames, reason := conn.End()
	if err := c.want(frames, reason); err != nil {
		t.Errorf("%v\nthe steps:\n%s\nthe client received: %v\nTerminate received: %v", err, r.scenario.String(), frames, reason)
	}
}

// messageLimit returns the MaxMessageSize of the connections the server
// accepts with connect, as a simulated connection has it.
func messageLimit(t *stepTB, newServer func() *sockhttp.Server, connect Connect) int64 {
	r := newRun(t, sockt.NewServer(t, newServer(), nil), false)
	connect.Conn = "probe"
	r.step(Line{Step: connect})
	return r.conns["probe"].Sim().Session().Options().MaxMessageSize
}

// withConn returns s with its connection named name.
func withConn(s Step, name string) Step {
	switch s := s.(type) {
	case Send:
		s.Conn = name
		return s
	case SendFragment:
		s.Conn = name
		return s
	case Violate:
		s.Conn = name
		return s
	}
	return s
}

// The steps of the cases.
func send(op sock.Opcode, payload string) Step {
	return Send{Frame: sock.Frame{Op: op, Payload: []byte(payload)}}
}

func fragment(op sock.Opcode, payload string, final bool) Step {
	return SendFragment{Op: op, Payload: []byte(payload), Final: final}
}

func steps(s ...Step) func(int64) []Step { return func(int64) []Step { return s } }

var conformanceCases = []conformanceCase{
	{name: "ping answered by its pong", steps: steps(send(sock.OpPing, "conformance"), send(sock.OpPing, ""), send(sock.OpPing, strings.Repeat("p", 125))),
		want: pongs("conformance", "", strings.Repeat("p", 125))},
	{name: "pong unasked ignored", steps: steps(send(sock.OpPong, "unasked")), want: noProtocolError},
	{name: "ping of 126 bytes fails with 1002", raw: true, steps: steps(send(sock.OpPing, strings.Repeat("p", 126))),
		want: failed(sock.CloseProtocolError)},
	{name: "text not UTF-8 fails with 1007", steps: steps(send(sock.OpText, "caf\xe9")), want: failed(sock.CloseInvalidPayload)},
	{name: "text whole across fragments, pings between",
		steps: steps(fragment(sock.OpText, "caf", false), send(sock.OpPing, "between"), fragment(sock.OpContinuation, "\xc3", false),
			fragment(sock.OpContinuation, "\xa9", true)),
		want: all(pongs("between"), noProtocolError)},
	{name: "text not UTF-8 across fragments fails with 1007",
		steps: steps(fragment(sock.OpText, "ok", false), fragment(sock.OpContinuation, "\xc3", true)), want: failed(sock.CloseInvalidPayload)},
	{name: "continuation of nothing fails with 1002", steps: steps(fragment(sock.OpContinuation, "x", true)),
		want: failed(sock.CloseProtocolError)},
	{name: "message inside a fragmented one fails with 1002",
		steps: steps(fragment(sock.OpBinary, "x", false), send(sock.OpText, "y")), want: failed(sock.CloseProtocolError)},
	{name: "reserved opcode fails with 1002", steps: steps(Violate{What: "reserved opcode"}), want: failed(sock.CloseProtocolError)},
	{name: "reserved bit fails with 1002", steps: steps(Violate{What: "RSV1 set"}), want: failed(sock.CloseProtocolError)},
	{name: "unmasked frame fails with 1002", steps: steps(Violate{What: "unmasked frame"}), want: failed(sock.CloseProtocolError)},
	{name: "fragmented ping fails with 1002", steps: steps(Violate{What: "fragmented ping"}), want: failed(sock.CloseProtocolError)},
	{name: "close answered with its code", steps: steps(Send{Frame: sock.CloseFrame(4000, "bye")}), want: closedBy(4000)},
	{name: "close without a code answered", steps: steps(send(sock.OpClose, "")), want: closedBy(sock.CloseNoStatus)},
	{name: "close with a code never sent fails with 1002",
		steps: steps(Send{Frame: sock.Frame{Op: sock.OpClose, Payload: []byte{0x03, 0xed}}}), want: failed(sock.CloseProtocolError)},
	{name: "close with a code out of range fails with 1002",
		steps: steps(Send{Frame: sock.Frame{Op: sock.OpClose, Payload: []byte{0x13, 0x88}}}), want: failed(sock.CloseProtocolError)},
	{name: "close text not UTF-8 fails with 1002",
		steps: steps(Send{Frame: sock.Frame{Op: sock.OpClose, Payload: []byte{0x03, 0xe8, 0xff}}}), want: failed(sock.CloseProtocolError)},
	{name: "close of one byte fails with 1002", simOnly: true, // gorilla reads it as 1005 (see Differential)
		steps: steps(send(sock.OpClose, "\x03")), want: failed(sock.CloseProtocolError)},
	{name: "frames before a refused one in the same read answered first", raw: true,
		steps: steps(send(sock.OpPing, "first"), Violate{What: "RSV1 set"}), want: all(pongs("first"), failed(sock.CloseProtocolError))},
	{name: "continuation of nothing before a message too big in the same read fails with 1002", raw: true,
		steps: then(steps(fragment(sock.OpContinuation, "x", true)), sized(1)), want: failed(sock.CloseProtocolError)},
	{name: "close before a refused frame in the same read answered", raw: true,
		steps: steps(Send{Frame: sock.CloseFrame(4000, "bye")}, Violate{What: "RSV1 set"}), want: closedBy(4000)},
	{name: "message at the size limit taken", steps: sized(0), want: noProtocolError},
	{name: "message past the size limit fails with 1009", steps: sized(1), want: failed(sock.CloseTooBig)},
}

// sized sends a binary message of MaxMessageSize+extra bytes, unless it is
// too large to send in a test.
func sized(extra int64) func(int64) []Step {
	return func(limit int64) []Step {
		if limit+extra > 16<<20 {
			return nil
		}
		return []Step{Send{Frame: sock.Binary(make([]byte, limit+extra))}}
	}
}

// then returns the steps of a, then those of b; nil if either has none.
func then(a, b func(int64) []Step) func(int64) []Step {
	return func(limit int64) []Step {
		first, second := a(limit), b(limit)
		if first == nil || second == nil {
			return nil
		}
		return append(first[:len(first):len(first)], second...)
	}
}

// What the client saw, checked.

func pongs(payloads ...string) func([]sock.Frame, sock.Reason) error {
	return func(frames []sock.Frame, _ sock.Reason) error {
		var got []string
		for _, f := range frames {
			if f.Op == sock.OpPong {
				got = append(got, string(f.Payload))
			}
		}
		if !slices.Equal(got, payloads) {
			return fmt.Errorf("pongs %q, want %q", got, payloads)
		}
		return nil
	}
}

// noProtocolError passes unless sock failed the connection on a protocol
// error. A handler that closes with 1007 itself, say on a message that is
// not the JSON it wants, is not one.
func noProtocolError(_ []sock.Frame, r sock.Reason) error {
	if r.Kind == sock.ReasonError && (errors.Is(r.Err, sock.ErrProtocol) || errors.Is(r.Err, sock.ErrInvalidUTF8) || errors.Is(r.Err, sock.ErrMessageTooBig)) {
		return fmt.Errorf("the server failed the connection: %v", r)
	}
	return nil
}

// failed wants the server to have failed the connection with code.
func failed(code sock.CloseCode) func([]sock.Frame, sock.Reason) error {
	return func(frames []sock.Frame, r sock.Reason) error {
		if got := closeOf(frames); got != code {
			return fmt.Errorf("the server closed with %d, want %d", got, code)
		}
		if r.Kind != sock.ReasonError || r.Code != code {
			return fmt.Errorf("what Terminate received, %v, is not an error with %d", r, code)
		}
		return nil
	}
}

// closedBy wants the server to have answered the client's close with code.
func closedBy(code sock.CloseCode) func([]sock.Frame, sock.Reason) error {
	return func(frames []sock.Frame, r sock.Reason) error {
		if got := closeOf(frames); got != code {
			return fmt.Errorf("the server answered with %d, want %d", got, code)
		}
		if r.Kind != sock.ReasonRemote || r.Code != code {
			return fmt.Errorf("what Terminate received, %v, is not the client's close %d", r, code)
		}
		return nil
	}
}

func all(checks ...func([]sock.Frame, sock.Reason) error) func([]sock.Frame, sock.Reason) error {
	return func(frames []sock.Frame, r sock.Reason) error {
		for _, check := range checks {
			if err := check(frames, r); err != nil {
				return err
			}
		}
		return nil
	}
}

// closeOf returns the code of the server's close frame among frames:
// CloseNoStatus for one without a code, 0 if there is none.
func closeOf(frames []sock.Frame) sock.CloseCode {
	for _, f := range frames {
		if f.Op == sock.OpClose {
			return closeCode(f)
		}
	}
	return 0
}
