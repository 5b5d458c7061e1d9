package scenarios

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sockkit/sockkit/sock"
)

// SyntaxError is a scenario file that does not parse: where, and what was
// expected.
type SyntaxError struct {
	File      string // the name given to Parse
	Line, Col int    // 1-based; Col counts bytes
	Msg       string
}

// Error returns "FILE:LINE:COL: MSG".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Parse parses a scenario from text; name names it in errors, e.g. its
// file's path. Errors are [*SyntaxError]s.
func Parse(name string, text []byte) (*Scenario, error) {
	p := &parser{file: name}
	s := &Scenario{Name: name}
	lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	if len(text) == 0 {
		lines = nil
	}
	for i := 0; i < len(lines); i++ {
		p.start(i+1, strings.TrimSuffix(lines[i], "\r"))
		if p.indented() {
			return nil, p.errorf("an indented line belongs under a connect step")
		}
		line, err := p.line()
		if err != nil {
			return nil, err
		}
		if c, ok := line.Step.(Connect); ok { // its header lines follow
			for i+1 < len(lines) && isIndented(lines[i+1]) {
				i++
				p.start(i+1, strings.TrimSuffix(lines[i], "\r"))
				h, err := p.header()
				if err != nil {
					return nil, err
				}
				c.Header = append(c.Header, h)
			}
			line.Step = c
		}
		s.Lines = append(s.Lines, line)
	}
	return s, nil
}

func isIndented(line string) bool {
	return strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")
}

// parser reads one line at a time.
type parser struct {
	file     string
	repeated int // bytes made by repetitions so far
	n        int // the line's number
	text     string
	pos      int // byte offset in text
}

func (p *parser) start(n int, text string) { p.n, p.text, p.pos = n, text, 0 }

func (p *parser) indented() bool { return isIndented(p.text) && strings.TrimSpace(p.text) != "" }

func (p *parser) errorf(format string, args ...any) error {
	return &SyntaxError{File: p.file, Line: p.n, Col: p.pos + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.text) && (p.text[p.pos] == ' ' || p.text[p.pos] == '\t') {
		p.pos++
	}
}

// peek returns the next byte after spaces, or 0 at the end of the line.
func (p *parser) peek() byte {
	p.skipSpace()
	if p.pos == len(p.text) {
		return 0
	}
	return p.text[p.pos]
}

// atEnd reports whether only spaces or a comment are left.
func (p *parser) atEnd() bool {
	c := p.peek()
	return c == 0 || c == '#'
}

// word returns the next run of characters up to a space; "" at the end.
func (p *parser) word() string {
	if p.atEnd() {
		return ""
	}
	start := p.pos
	for p.pos < len(p.text) && p.text[p.pos] != ' ' && p.text[p.pos] != '\t' {
		p.pos++
	}
	return p.text[start:p.pos]
}

// expectWord reads the next word, which must be one of want.
func (p *parser) expectWord(want ...string) (string, error) {
	start := p.pos
	w := p.word()
	for _, x := range want {
		if w == x {
			return w, nil
		}
	}
	p.pos = start
	p.skipSpace()
	return "", p.errorf("expected %s, found %s", oneOf(want), found(w))
}

func oneOf(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = strconv.Quote(w)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func found(w string) string {
	if w == "" {
		return "the end of the line"
	}
	return strconv.Quote(w)
}

// quoted reads a Go string literal.
func (p *parser) quoted(what string) (string, error) {
	if p.peek() != '"' {
		return "", p.errorf("expected %s, a quoted string, found %s", what, found(p.rest()))
	}
	start := p.pos
	for i := p.pos + 1; i < len(p.text); i++ {
		switch p.text[i] {
		case '\\':
			i++
		case '"':
			s, err := strconv.Unquote(p.text[start : i+1])
			if err != nil {
				return "", p.errorf("bad string literal: %v", err)
			}
			p.pos = i + 1
			return s, nil
		}
	}
	return "", p.errorf("string literal not terminated")
}

// rest returns what is left of the line, for messages.
func (p *parser) rest() string { return strings.TrimSpace(p.text[p.pos:]) }

// maxRepeat bounds the payload a repetition may make, and what all the
// repetitions of a scenario make together.
const (
	maxRepeat      = 16 << 20
	maxRepeatTotal = 64 << 20
)

// payload reads a quoted string or 0x followed by hex digits, maybe
// repeated: "*" and how many times.
func (p *parser) payload(what string) ([]byte, error) {
	b, err := p.literal(what)
	if err != nil || p.pos == len(p.text) || p.text[p.pos] != '*' {
		return b, err
	}
	p.pos++
	start := p.pos
	for p.pos < len(p.text) && p.text[p.pos] >= '0' && p.text[p.pos] <= '9' {
		p.pos++
	}
	n, err := strconv.Atoi(p.text[start:p.pos])
	if err != nil || n < 1 || len(b) > 0 && n > maxRepeat/len(b) {
		p.pos = start
		return nil, p.errorf("expected how many times to repeat the payload, at most %d bytes in all", maxRepeat)
	}
	if p.repeated += len(b) * n; p.repeated > maxRepeatTotal {
		p.pos = start
		return nil, p.errorf("the scenario's repeated payloads pass %d bytes", maxRepeatTotal)
	}
	return bytes.Repeat(b, n), nil
}

// literal reads a quoted string or 0x followed by hex digits.
func (p *parser) literal(what string) ([]byte, error) {
	p.skipSpace()
	if strings.HasPrefix(p.text[p.pos:], "0x") {
		start := p.pos
		w, _, _ := strings.Cut(p.word(), "*")
		p.pos = start + len(w)
		b, err := hex.DecodeString(w[2:])
		if err != nil {
			p.pos = start
			return nil, p.errorf("bad hex payload %q: %v", w, err)
		}
		return b, nil
	}
	if p.peek() != '"' {
		return nil, p.errorf("expected %s: a quoted string or 0x and hex digits, found %s", what, found(p.rest()))
	}
	s, err := p.quoted(what)
	return []byte(s), err
}

// number reads a decimal number in [min, max].
func (p *parser) number(what string, min, max int) (int, error) {
	start := p.pos
	w := p.word()
	n, err := strconv.Atoi(w)
	if err != nil || n < min || n > max {
		p.pos = start
		p.skipSpace()
		return 0, p.errorf("expected %s, a number from %d to %d, found %s", what, min, max, found(w))
	}
	return n, nil
}

// end reads what ends a line: nothing, or a comment.
func (p *parser) end(l *Line) error {
	switch p.peek() {
	case 0:
		return nil
	case '#':
		l.HasComment = true
		l.Comment = strings.TrimRight(strings.TrimPrefix(p.text[p.pos+1:], " "), " \t\r")
		return nil
	}
	return p.errorf("unexpected %s at the end of the step", found(p.rest()))
}

// line parses one line that is not a header line.
func (p *parser) line() (Line, error) {
	l := Line{Pos: p.n}
	if p.peek() == '@' {
		p.pos++
		start := p.pos
		w := p.word()
		d, err := time.ParseDuration(w)
		if err != nil || d < 0 {
			p.pos = start
			return l, p.errorf("expected a time stamp such as @1.5s, found %s", found("@"+w))
		}
		l.At, l.Stamped = d, true
	}
	if !p.atEnd() {
		step, err := p.step()
		if err != nil {
			return l, err
		}
		l.Step = step
	} else if l.Stamped {
		return l, p.errorf("a time stamp needs a step")
	}
	return l, p.end(&l)
}

// A connection's name is a word that is not a keyword.
var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

var keywords = map[string]bool{"connect": true, "advance": true, "shutdown": true, "hold": true, "deliver": true}

func (p *parser) step() (Step, error) {
	start := p.pos
	first := p.word()
	switch first {
	case "connect":
		return p.connect()
	case "advance":
		start := p.pos
		w := p.word()
		d, err := time.ParseDuration(w)
		if err != nil || d < 0 {
			p.pos = start
			p.skipSpace()
			return nil, p.errorf("expected a duration such as 1.5s, found %s", found(w))
		}
		return Advance{Duration: d}, nil
	case "shutdown":
		return Shutdown{}, nil
	case "hold":
		_, err := p.expectWord("infos")
		return HoldInfos{}, err
	case "deliver":
		_, err := p.expectWord("infos")
		return DeliverInfos{}, err
	}
	if !nameRE.MatchString(first) {
		p.pos = start
		p.skipSpace()
		return nil, p.errorf("expected a step: connect, advance, shutdown, hold infos, deliver infos, or a connection's name and what it does; found %s", found(first))
	}
	return p.connStep(first)
}

func (p *parser) connect() (Step, error) {
	start := p.pos
	name := p.word()
	if !nameRE.MatchString(name) || keywords[name] {
		p.pos = start
		p.skipSpace()
		return nil, p.errorf("expected the connection's name, found %s", found(name))
	}
	c := Connect{Conn: name}
	if !p.atEnd() {
		if p.peek() != '/' {
			return nil, p.errorf("expected a request target such as /path?query, found %s", found(p.rest()))
		}
		start := p.pos
		c.Target = p.word()
		if _, err := url.ParseRequestURI(c.Target); err != nil {
			p.pos = start
			return nil, p.errorf("bad request target %q: %v", c.Target, err)
		}
	}
	return c, nil
}

// header parses an indented header line of a connect step.
func (p *parser) header() (Header, error) {
	if _, err := p.expectWord("header"); err != nil {
		return Header{}, err
	}
	p.skipSpace()
	name, value, ok := strings.Cut(p.text[p.pos:], ":")
	if !ok || strings.TrimSpace(name) == "" || strings.ContainsAny(strings.TrimSpace(name), " \t") {
		return Header{}, p.errorf("expected a header, Name: value")
	}
	return Header{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)}, nil
}

func (p *parser) connStep(conn string) (Step, error) {
	verb, err := p.expectWord("send", "expect", "violate", "info", "drop", "stop", "resume", "ignore")
	if err != nil {
		return nil, err
	}
	switch verb {
	case "send":
		return p.send(conn)
	case "expect":
		return p.expect(conn)
	case "violate":
		what, err := p.quoted("what the violation is")
		return Violate{Conn: conn, What: what}, err
	case "info":
		v, err := p.quoted("the info")
		return Info{Conn: conn, Value: v}, err
	case "drop":
		return Peer{Conn: conn, Act: Drop}, nil
	case "stop":
		_, err := p.expectWord("reading")
		return Peer{Conn: conn, Act: StopReading}, err
	case "resume":
		_, err := p.expectWord("reading")
		return Peer{Conn: conn, Act: ResumeReading}, err
	default: // ignore
		w, err := p.expectWord("close", "pings")
		act := IgnoreClose
		if w == "pings" {
			act = IgnorePings
		}
		return Peer{Conn: conn, Act: act}, err
	}
}

var opcodes = map[string]sock.Opcode{"text": sock.OpText, "binary": sock.OpBinary, "ping": sock.OpPing, "pong": sock.OpPong}

func (p *parser) send(conn string) (Step, error) {
	kind, err := p.expectWord("text", "binary", "ping", "pong", "close", "fragment")
	if err != nil {
		return nil, err
	}
	switch kind {
	case "close":
		f, err := p.closeFrame(true)
		return Send{Conn: conn, Frame: f}, err
	case "fragment":
		return p.fragment(conn)
	}
	b, err := p.payload("the payload")
	return Send{Conn: conn, Frame: sock.Frame{Op: opcodes[kind], Payload: b}}, err
}

func (p *parser) fragment(conn string) (Step, error) {
	f := SendFragment{Conn: conn, Op: sock.OpContinuation}
	if c := p.peek(); c != '"' && c != '0' {
		kind, err := p.expectWord("text", "binary")
		if err != nil {
			return nil, err
		}
		f.Op = opcodes[kind]
	}
	b, err := p.payload("the fragment")
	if err != nil {
		return nil, err
	}
	f.Payload = b
	if !p.atEnd() {
		if _, err := p.expectWord("final"); err != nil {
			return nil, err
		}
		f.Final = true
	}
	return f, nil
}

// closeFrame reads what follows "close": nothing, a code and maybe a text,
// or (raw allowed) 0x and the payload in hex.
func (p *parser) closeFrame(raw bool) (sock.Frame, error) {
	if p.atEnd() {
		return sock.Frame{Op: sock.OpClose}, nil
	}
	if p.skipSpace(); raw && strings.HasPrefix(p.text[p.pos:], "0x") {
		b, err := p.payload("the close payload")
		return sock.Frame{Op: sock.OpClose, Payload: b}, err
	}
	code, err := p.number("a close code", 0, 65535)
	if err != nil {
		return sock.Frame{}, err
	}
	text := ""
	if !p.atEnd() {
		if text, err = p.quoted("the close text"); err != nil {
			return sock.Frame{}, err
		}
	}
	payload := make([]byte, 2+len(text)) // any code, valid or not: sock.CloseFrame would drop 1005's
	payload[0], payload[1] = byte(code>>8), byte(code)
	copy(payload[2:], text)
	return sock.Frame{Op: sock.OpClose, Payload: payload}, nil
}

var reasonKinds = map[string]sock.ReasonKind{"normal": sock.ReasonNormal, "remote": sock.ReasonRemote,
	"shutdown": sock.ReasonShutdown, "timeout": sock.ReasonTimeout, "error": sock.ReasonError}

func (p *parser) expect(conn string) (Step, error) {
	what, err := p.expectWord("accepted", "refused", "text", "binary", "json", "pong", "close", "nothing", "terminate")
	if err != nil {
		return nil, err
	}
	switch what {
	case "accepted":
		e := ExpectAccepted{Conn: conn}
		if !p.atEnd() {
			e.Subprotocol = p.word()
		}
		return e, nil
	case "refused":
		status, err := p.number("an HTTP status", 100, 599)
		if err != nil {
			return nil, err
		}
		e := ExpectRefused{Conn: conn, Status: status}
		if !p.atEnd() {
			e.Body, err = p.quoted("the refusal's body")
			e.HasBody = true
		}
		return e, err
	case "text":
		if p.peek() == '/' {
			pattern, err := p.regexp()
			return ExpectMatch{Conn: conn, Pattern: pattern}, err
		}
		b, err := p.payload("the text, or a /regexp/")
		return ExpectFrame{Conn: conn, Frame: sock.Frame{Op: sock.OpText, Payload: b}}, err
	case "binary", "pong":
		b, err := p.payload("the payload")
		return ExpectFrame{Conn: conn, Frame: sock.Frame{Op: opcodes[what], Payload: b}}, err
	case "json":
		j, err := p.json()
		return ExpectJSON{Conn: conn, JSON: j}, err
	case "close":
		f, err := p.closeFrame(false)
		return ExpectFrame{Conn: conn, Frame: f}, err
	case "nothing":
		return ExpectNothing{Conn: conn}, nil
	default: // terminate
		start := p.pos
		w := p.word()
		kind, ok := reasonKinds[w]
		if !ok {
			p.pos = start
			p.skipSpace()
			return nil, p.errorf("expected normal, remote, shutdown, timeout or error, found %s", found(w))
		}
		return ExpectTerminate{Conn: conn, Kind: kind}, nil
	}
}

// regexp reads /pattern/, where \/ stands for a slash; any other escape is
// the pattern's own.
func (p *parser) regexp() (string, error) {
	p.skipSpace()
	var b strings.Builder
	for i := p.pos + 1; i < len(p.text); i++ {
		switch c := p.text[i]; {
		case c == '\\' && i+1 < len(p.text) && p.text[i+1] == '/':
			b.WriteByte('/')
			i++
		case c == '\\' && i+1 < len(p.text):
			b.WriteString(p.text[i : i+2])
			i++
		case c == '/':
			if _, err := regexp.Compile(b.String()); err != nil {
				return "", p.errorf("bad regular expression: %v", err)
			}
			p.pos = i + 1
			return b.String(), nil
		default:
			b.WriteByte(c)
		}
	}
	return "", p.errorf("regular expression not terminated: expected a closing /")
}

// json reads one JSON value, and returns it compacted.
func (p *parser) json() (string, error) {
	p.skipSpace()
	dec := json.NewDecoder(strings.NewReader(p.text[p.pos:]))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return "", p.errorf("expected a JSON value: %v", err)
	}
	p.pos += int(dec.InputOffset())
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "", p.errorf("bad JSON: %v", err)
	}
	return b.String(), nil
}
