package scenarios

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sockt"
)

// Step is one step of a scenario: something a client or the server does, or
// something a client expects. Its String is the step's line in the scenario
// format, without time stamp or comment.
type Step interface {
	String() string
	step()
}

// Connect opens a connection named Conn with an upgrade request for Target
// ("/path?query"; "/" if empty) and the headers listed — Authorization,
// Cookie, Origin, Sec-WebSocket-Protocol for the subprotocols offered. In a
// file, each header is an indented line below the connect line.
type Connect struct {
	Conn   string
	Target string
	Header []Header
}

// Header is one header line of a [Connect]. A value may name environment
// variables, ${NAME}, which replay expands: secrets stay out of files.
type Header struct{ Name, Value string }

// Send sends a frame from the client: text, binary, ping, pong or close,
// with any payload, valid or not.
type Send struct {
	Conn  string
	Frame sock.Frame
}

// SendFragment sends one fragment of a message: the first with Op
// sock.OpText or sock.OpBinary, the next ones with sock.OpContinuation; Final
// marks the last.
type SendFragment struct {
	Conn    string
	Op      sock.Opcode
	Payload []byte
	Final   bool
}

// Violate makes the client break RFC 6455 in a way a transport reports as a
// protocol error. In the simulator What is only a note; over a socket it
// names the frame the client sends: "RSV1 set", "unmasked frame",
// "reserved opcode" or "fragmented ping".
type Violate struct {
	Conn string
	What string
}

// Peer makes the client misbehave, or stop misbehaving.
type Peer struct {
	Conn string
	Act  PeerAct
}

// PeerAct is what a [Peer] step does.
type PeerAct uint8

// The acts of a Peer step.
const (
	Drop          PeerAct = iota + 1 // cut the connection without a close frame
	StopReading                      // stop reading: server writes back up
	ResumeReading                    // read again
	IgnoreClose                      // never answer the server's close frame
	IgnorePings                      // never answer the server's pings
)

var peerActs = [...]string{Drop: "drop", StopReading: "stop reading", ResumeReading: "resume reading",
	IgnoreClose: "ignore close", IgnorePings: "ignore pings"}

// String returns the act as a scenario file writes it.
func (a PeerAct) String() string {
	if int(a) < len(peerActs) && peerActs[a] != "" {
		return peerActs[a]
	}
	return "peer(" + strconv.Itoa(int(a)) + ")"
}

// Info sends the string Value to the connection's HandleInfo, as another
// goroutine of the server would.
type Info struct {
	Conn  string
	Value string
}

// Advance lets time pass: virtual time in the simulator.
type Advance struct{ Duration time.Duration }

// Shutdown shuts the server down: close 1001 to every connection, and new
// ones refused.
type Shutdown struct{}

// HoldInfos makes infos wait across steps until a [DeliverInfos] step (in
// the simulator; see sim.World.HoldInfos).
type HoldInfos struct{}

// DeliverInfos delivers the infos waiting for one connection, chosen by the
// seed.
type DeliverInfos struct{}

// ExpectAccepted expects the server to have accepted the connection, with
// the subprotocol Subprotocol ("" for none).
type ExpectAccepted struct {
	Conn        string
	Subprotocol string
}

// ExpectRefused expects the server to have refused the connection with
// Status and, if HasBody, with Body.
type ExpectRefused struct {
	Conn    string
	Status  int
	Body    string
	HasBody bool
}

// ExpectFrame expects the next frame of its kind to equal Frame: a text or
// binary message, a pong, or the close frame.
type ExpectFrame struct {
	Conn  string
	Frame sock.Frame
}

// ExpectMatch expects the next message to be text that the regular
// expression Pattern matches.
type ExpectMatch struct {
	Conn    string
	Pattern string
}

// ExpectJSON expects the next message to be text holding JSON equal to JSON,
// where a string value "<any>" matches any value: a field whose value
// changes from run to run (an id, a time) is masked with it.
type ExpectJSON struct {
	Conn string
	JSON string
}

// ExpectNothing expects no message the test has not taken.
type ExpectNothing struct{ Conn string }

// ExpectTerminate expects Terminate to have run with a reason of Kind.
type ExpectTerminate struct {
	Conn string
	Kind sock.ReasonKind
}

func (Connect) step()         {}
func (Send) step()            {}
func (SendFragment) step()    {}
func (Violate) step()         {}
func (Peer) step()            {}
func (Info) step()            {}
func (Advance) step()         {}
func (Shutdown) step()        {}
func (HoldInfos) step()       {}
func (DeliverInfos) step()    {}
func (ExpectAccepted) step()  {}
func (ExpectRefused) step()   {}
func (ExpectFrame) step()     {}
func (ExpectMatch) step()     {}
func (ExpectJSON) step()      {}
func (ExpectNothing) step()   {}
func (ExpectTerminate) step() {}

// The String methods print the canonical form the parser reads back.

func (s Connect) String() string {
	var b strings.Builder
	b.WriteString("connect " + s.Conn)
	if s.Target != "" && s.Target != "/" {
		b.WriteString(" " + s.Target)
	}
	for _, h := range s.Header {
		b.WriteString("\n  header " + h.Name + ": " + h.Value)
	}
	return b.String()
}

func (s Send) String() string {
	f := s.Frame
	if f.Op == sock.OpClose {
		return s.Conn + " send close" + closeArgs(f)
	}
	return s.Conn + " send " + f.Op.String() + " " + payload(f.Op, f.Payload)
}

func (s SendFragment) String() string {
	if s.Op != sock.OpContinuation {
		return s.Conn + " send fragment " + s.Op.String() + " " + payload(s.Op, s.Payload) + final(s.Final)
	}
	return s.Conn + " send fragment " + payload(sock.OpContinuation, s.Payload) + final(s.Final)
}

func final(f bool) string {
	if f {
		return " final"
	}
	return ""
}

func (s Violate) String() string         { return s.Conn + " violate " + strconv.Quote(s.What) }
func (s Peer) String() string            { return s.Conn + " " + s.Act.String() }
func (s Info) String() string            { return s.Conn + " info " + strconv.Quote(s.Value) }
func (s Advance) String() string         { return "advance " + s.Duration.String() }
func (Shutdown) String() string          { return "shutdown" }
func (HoldInfos) String() string         { return "hold infos" }
func (DeliverInfos) String() string      { return "deliver infos" }
func (s ExpectNothing) String() string   { return s.Conn + " expect nothing" }
func (s ExpectMatch) String() string     { return s.Conn + " expect text " + regexpLiteral(s.Pattern) }
func (s ExpectJSON) String() string      { return s.Conn + " expect json " + s.JSON }
func (s ExpectTerminate) String() string { return s.Conn + " expect terminate " + s.Kind.String() }

func (s ExpectAccepted) String() string {
	if s.Subprotocol == "" {
		return s.Conn + " expect accepted"
	}
	return s.Conn + " expect accepted " + s.Subprotocol
}

func (s ExpectRefused) String() string {
	line := s.Conn + " expect refused " + strconv.Itoa(s.Status)
	if s.HasBody {
		line += " " + strconv.Quote(s.Body)
	}
	return line
}

func (s ExpectFrame) String() string {
	f := s.Frame
	if f.Op == sock.OpClose {
		return s.Conn + " expect close" + closeArgs(f)
	}
	return s.Conn + " expect " + f.Op.String() + " " + payload(f.Op, f.Payload)
}

// payload writes p as a scenario file does: binary in hex after 0x, the
// rest quoted as Go does (which keeps bytes that are not UTF-8 exact), but a
// continuation fragment that is not UTF-8 in hex too.
//
// A long run of one byte is written once, then "*" and how many: 0x00*70000.
func payload(op sock.Opcode, p []byte) string {
	unit, times := p, ""
	if len(p) >= 32 && bytes.Count(p, p[:1]) == len(p) {
		unit, times = p[:1], "*"+strconv.Itoa(len(p))
	}
	if op == sock.OpBinary || !utf8.Valid(unit) && (op == sock.OpContinuation || times != "") {
		return "0x" + hex.EncodeToString(unit) + times
	}
	return strconv.Quote(string(unit)) + times
}

// closeArgs writes a close frame's code and text: none for an empty close
// frame, the raw payload in hex for a malformed one.
func closeArgs(f sock.Frame) string {
	switch {
	case len(f.Payload) == 0:
		return ""
	case len(f.Payload) == 1:
		return " 0x" + hex.EncodeToString(f.Payload)
	}
	code := int(f.Payload[0])<<8 | int(f.Payload[1])
	text := f.Payload[2:]
	if len(text) == 0 {
		return " " + strconv.Itoa(code)
	}
	return " " + strconv.Itoa(code) + " " + strconv.Quote(string(text))
}

// regexpLiteral writes pattern between slashes, escaping the slashes in it
// that its own escapes do not.
func regexpLiteral(pattern string) string {
	var b strings.Builder
	b.WriteByte('/')
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; {
		case c == '\\' && i+1 < len(pattern):
			b.WriteString(pattern[i : i+2])
			i++
		case c == '/':
			b.WriteString(`\/`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('/')
	return b.String()
}

// Match reports whether f is the frame the step expects: the same opcode
// and payload (for a close frame, the same code and text).
func (s ExpectFrame) Match(f sock.Frame) bool {
	return f.Op == s.Frame.Op && bytes.Equal(f.Payload, s.Frame.Payload)
}

// Match reports whether f is a text message the step's pattern matches.
func (s ExpectMatch) Match(f sock.Frame) bool { return sockt.Regexp(s.Pattern).Match(f) }

// Match reports whether f is a text message holding JSON equal to the
// step's, "<any>" matching any value.
func (s ExpectJSON) Match(f sock.Frame) bool { return maskedJSON(s.JSON).Match(f) }

// Headers returns the step's headers for a request, each ${NAME} in a
// value read from the environment (a $ on its own stays); it fails if a
// variable is not set.
func (s Connect) Headers() (http.Header, error) {
	h := http.Header{}
	for _, x := range s.Header {
		if !strings.Contains(x.Value, "${") {
			h.Add(x.Name, x.Value)
			continue
		}
		var missing []string
		value := envRef.ReplaceAllStringFunc(x.Value, func(ref string) string {
			v, ok := os.LookupEnv(ref[2 : len(ref)-1])
			if !ok {
				missing = append(missing, ref[2:len(ref)-1])
			}
			return v
		})
		if len(missing) > 0 {
			return nil, fmt.Errorf("header %s needs $%s, which is not set", x.Name, strings.Join(missing, " and $"))
		}
		h.Add(x.Name, value)
	}
	return h, nil
}

// envRef is a reference to an environment variable in a header value.
var envRef = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*\}`)
