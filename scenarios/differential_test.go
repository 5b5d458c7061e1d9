package scenarios_test

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/sockkit/sockkit/scenarios"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockgws"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// The simulator and production agree on what clients see, over a corpus of
// generated scenarios and a few handlers, on both hosts.
func TestDifferentialCorpus(t *testing.T) {
	greet := []scenarios.Connect{
		{Target: "/?name=ada", Header: []scenarios.Header{{Name: "Sec-WebSocket-Protocol", Value: "greet.v1"}}},
		{Target: "/?name=bob"},
		{Target: "/"}, // refused
	}
	for _, tc := range []struct {
		name      string
		newServer func(sockhttp.Host) *sockhttp.Server
		connects  []scenarios.Connect
		refused   int  // how many of the connects, last, are refused
		infos     bool // the handler's infos are timeless: send some
	}{
		{"echo", echoServerOn, []scenarios.Connect{{Target: "/"}}, 0, true},
		{"greeter", newGreeterOn, greet, 1, false}, // its infos carry the time
		{"hub", newHub, []scenarios.Connect{{Target: "/"}}, 0, true},
	} {
		gen := loopbackScenario(tc.connects, tc.refused, tc.infos)
		for _, host := range []struct {
			name string
			host sockhttp.Host
		}{{"gorilla", nil}, {"gws", sockgws.Host(nil)}} {
			newServer := func() *sockhttp.Server { return tc.newServer(host.host) }
			for i := range 12 {
				s := gen.Example(i)
				t.Run(fmt.Sprintf("%s/%s/%d", host.name, tc.name, i), func(t *testing.T) {
					scenarios.Differential(t, newServer, s, nil)
					if t.Failed() {
						t.Logf("the scenario:\n%s", s)
					}
				})
			}
		}
	}
}

// loopbackScenario generates scenarios of the steps a loopback socket can
// take: connections opened with the requests given (the last refused ones
// of them refused), messages (some not UTF-8, some in fragments with a
// ping between), pings, pongs, closes with codes legal and not, protocol
// violations, infos, a shutdown.
func loopbackScenario(connects []scenarios.Connect, refused int, infos bool) *rapid.Generator[*scenarios.Scenario] {
	return rapid.Custom(func(t *rapid.T) *scenarios.Scenario {
		s := &scenarios.Scenario{}
		var names, accepted []string
		shut := false
		connect := func() {
			i := rapid.IntRange(0, len(connects)-1).Draw(t, "request")
			c := connects[i]
			c.Conn = fmt.Sprintf("c%d", len(names)+1)
			names = append(names, c.Conn)
			if i < len(connects)-refused && !shut {
				accepted = append(accepted, c.Conn)
			}
			s.Add(c)
		}
		for len(accepted) == 0 {
			connect()
		}
		for range rapid.IntRange(1, 12).Draw(t, "steps") {
			name := rapid.SampledFrom(accepted).Draw(t, "connection")
			switch rapid.IntRange(0, 11).Draw(t, "step") {
			case 0:
				if len(names) < 4 {
					connect()
				}
			case 1, 2:
				msg := rapid.SampledFrom([]string{"hello", "bye", "", "caf\xe9", strings.Repeat("é", 40)}).Draw(t, "text")
				s.Add(scenarios.Send{Conn: name, Frame: sock.Text(msg)})
			case 3:
				s.Add(scenarios.Send{Conn: name, Frame: sock.Binary(rapid.SliceOfN(rapid.Byte(), 0, 20).Draw(t, "binary"))})
			case 4:
				s.Add(scenarios.Send{Conn: name, Frame: sock.Frame{Op: sock.OpPing, Payload: []byte("p")}})
			case 5:
				s.Add(scenarios.Send{Conn: name, Frame: sock.Frame{Op: sock.OpPong, Payload: []byte("unasked")}})
			case 6:
				payload := rapid.SampledFrom([][]byte{
					{0x03, 0xe8}, {0x0f, 0xa0, 'b', 'y', 'e'}, {}, {0x03, 0xed}, {0x03}, {0x03, 0xe8, 0xff},
				}).Draw(t, "close")
				s.Add(scenarios.Send{Conn: name, Frame: sock.Frame{Op: sock.OpClose, Payload: payload}})
			case 7, 8:
				if infos {
					s.Add(scenarios.Info{Conn: name, Value: rapid.SampledFrom([]string{"news", "more"}).Draw(t, "info")})
				}
			case 9:
				if rapid.IntRange(0, 3).Draw(t, "shutdown now") == 0 {
					s.Add(scenarios.Shutdown{})
					shut = true
				}
			case 10: // a message in fragments, a ping between them
				s.Add(scenarios.SendFragment{Conn: name, Op: sock.OpText, Payload: []byte("frag")})
				if rapid.Bool().Draw(t, "ping between") {
					s.Add(scenarios.Send{Conn: name, Frame: sock.Frame{Op: sock.OpPing, Payload: []byte("b")}})
				}
				s.Add(scenarios.SendFragment{Conn: name, Op: sock.OpContinuation, Payload: []byte("ments"), Final: true})
			case 11:
				what := rapid.SampledFrom(scenarios.ViolationNames).Draw(t, "violation")
				s.Add(scenarios.Violate{Conn: name, What: what})
			}
		}
		return s
	})
}

// newHub serves a chat room: what a member says goes to the others, as
// infos, on host (nil: gorilla).
func newHub(host sockhttp.Host) *sockhttp.Server {
	h := &hub{members: map[*sock.Conn]bool{}}
	return sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return member{h} }), &sockhttp.Options{Host: host})
}
