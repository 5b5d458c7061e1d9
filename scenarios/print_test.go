package scenarios_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sockkit/sockkit/scenarios"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sockt"
)

// everyStep is a scenario with a step of every kind, built as a recorder
// builds one.
func everyStep() *scenarios.Scenario {
	s := &scenarios.Scenario{}
	s.Lines = append(s.Lines, scenarios.Line{Comment: "every kind of step, as the printer writes it", HasComment: true})
	s.Add(
		scenarios.Connect{Conn: "ada", Target: "/chat?room=1", Header: []scenarios.Header{
			{Name: "Authorization", Value: "Bearer ${TOKEN}"}, {Name: "Sec-WebSocket-Protocol", Value: "chat.v1, chat.v2"}}},
		scenarios.ExpectAccepted{Conn: "ada", Subprotocol: "chat.v1"},
		scenarios.Connect{Conn: "eve"},
		scenarios.ExpectRefused{Conn: "eve", Status: 401, Body: "who are you?", HasBody: true},
		scenarios.Send{Conn: "ada", Frame: sock.Text("héllo \"you\"\n")},
		scenarios.Send{Conn: "ada", Frame: sock.Text("caf\xe9")},
		scenarios.Send{Conn: "ada", Frame: sock.Binary([]byte{0, 1, 0xff})},
		scenarios.Send{Conn: "ada", Frame: sock.Binary(make([]byte, 70000))},
		scenarios.Send{Conn: "ada", Frame: sock.Text(strings.Repeat("ab", 50))},
		scenarios.Send{Conn: "ada", Frame: sock.Frame{Op: sock.OpPing, Payload: []byte("hb")}},
		scenarios.Send{Conn: "ada", Frame: sock.Frame{Op: sock.OpPong}},
		scenarios.Send{Conn: "ada", Frame: sock.CloseFrame(4000, "bye")},
		scenarios.Send{Conn: "ada", Frame: sock.Frame{Op: sock.OpClose, Payload: []byte{3}}},
		scenarios.Send{Conn: "ada", Frame: sock.Frame{Op: sock.OpClose}},
		scenarios.SendFragment{Conn: "ada", Op: sock.OpText, Payload: []byte("a")},
		scenarios.SendFragment{Conn: "ada", Op: sock.OpContinuation, Payload: []byte{0xc3}, Final: true},
		scenarios.Violate{Conn: "ada", What: "RSV1 set"},
		scenarios.Peer{Conn: "ada", Act: scenarios.StopReading},
		scenarios.Peer{Conn: "ada", Act: scenarios.IgnorePings},
		scenarios.Info{Conn: "ada", Value: "news"},
		scenarios.HoldInfos{}, scenarios.DeliverInfos{},
		scenarios.Advance{Duration: 1500 * time.Millisecond},
		scenarios.ExpectFrame{Conn: "ada", Frame: sock.Text("hi")},
		scenarios.ExpectFrame{Conn: "ada", Frame: sock.Binary([]byte{1})},
		scenarios.ExpectFrame{Conn: "ada", Frame: sock.Frame{Op: sock.OpPong, Payload: []byte("hb")}},
		scenarios.ExpectFrame{Conn: "ada", Frame: sock.CloseFrame(1001, "going away")},
		scenarios.ExpectMatch{Conn: "ada", Pattern: `^\d+ users/online$`},
		scenarios.ExpectJSON{Conn: "ada", JSON: `{"at":"<any>","n":1}`},
		scenarios.ExpectNothing{Conn: "ada"},
		scenarios.Shutdown{},
		scenarios.ExpectTerminate{Conn: "ada", Kind: sock.ReasonShutdown},
	)
	s.Lines = append(s.Lines, scenarios.Line{Step: scenarios.Peer{Conn: "ada", Act: scenarios.Drop}, At: 2*time.Second + 250*time.Millisecond, Stamped: true,
		Comment: "a stamped step, with a comment", HasComment: true})
	return s
}

// The printer's output, kept as a golden file: a change to the format shows
// in review. SOCKT_UPDATE=1 rewrites it.
func TestPrintGolden(t *testing.T) {
	s := everyStep()
	text, err := s.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	sockt.Golden(t, "testdata/every-step.scenario", strings.Split(strings.TrimSuffix(string(text), "\n"), "\n"))
	back, err := scenarios.Parse("printed", text)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := back.MarshalText(); string(again) != string(text) {
		t.Errorf("parse(print(s)) prints differently:\n%s", again)
	}
}

// What the format cannot hold is refused by MarshalText, never written.
func TestMarshalTextRefuses(t *testing.T) {
	for _, tc := range []struct {
		step scenarios.Step
		line scenarios.Line
		want string
	}{
		{step: scenarios.ExpectFrame{Conn: "ada", Frame: sock.Frame{Op: sock.OpPing, Payload: []byte("x")}}, want: `"ada expect ping \"x\""`},
		{step: scenarios.ExpectFrame{Conn: "ada", Frame: sock.Frame{Op: sock.OpClose, Payload: []byte{3}}}, want: `"ada expect close 0x03"`},
		{step: scenarios.Connect{Conn: "two words"}, want: `"connect two words"`},
		{step: scenarios.Connect{Conn: "shutdown"}, want: `"connect shutdown"`},
		{step: scenarios.Connect{Conn: "ada", Target: "/a b"}, want: `"connect ada /a b"`},
		{step: scenarios.Connect{Conn: "ada", Header: []scenarios.Header{{Name: "X", Value: "a\nb"}}}, want: `"connect ada"`},
		{step: scenarios.Send{Conn: "", Frame: sock.Text("x")}, want: `" send text \"x\""`},
		{step: scenarios.Advance{Duration: -time.Second}, want: `"advance -1s"`},
		{line: scenarios.Line{Comment: "one\ntwo", HasComment: true}, want: `"# one"`},
	} {
		s := &scenarios.Scenario{}
		if tc.step != nil {
			s.Add(tc.step)
		} else {
			s.Lines = append(s.Lines, tc.line)
		}
		_, err := s.MarshalText()
		if err == nil || !strings.Contains(err.Error(), "line 1, "+tc.want) || !strings.Contains(err.Error(), "cannot be written") {
			t.Errorf("MarshalText of %v: %v, want an error about line 1, %s", s.Lines[0], err, tc.want)
		}
	}
}

// Blank lines are part of the format; limits on the whole scenario are
// checked as Parse checks them.
func TestMarshalTextWhole(t *testing.T) {
	s, err := scenarios.ReadFile("testdata/room.scenario")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarshalText(); err != nil {
		t.Errorf("MarshalText of a parsed file: %v", err)
	}
	big := &scenarios.Scenario{}
	big.Add(scenarios.Connect{Conn: "a"})
	for range 5 {
		big.Add(scenarios.Send{Conn: "a", Frame: sock.Binary(make([]byte, 16<<20))})
	}
	if _, err := big.MarshalText(); err == nil || !strings.Contains(err.Error(), "repeated payloads pass") {
		t.Errorf("MarshalText of 80 MiB of payloads: %v, want the limit", err)
	}
}
