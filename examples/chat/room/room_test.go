package room_test

import (
	"net/http"
	"testing"

	"pgregory.net/rapid"

	"github.com/sockkit/sockkit/examples/chat/room"
	"github.com/sockkit/sockkit/scenarios"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sockt"
)

func connect(s *sockt.Server, query string) *sockt.Conn {
	r, _ := http.NewRequest(http.MethodGet, "/?"+query, nil)
	return s.Connect(r)
}

func TestChatBothWays(t *testing.T) {
	sockt.RunServer(t, func() *sockhttp.Server { return room.NewServer(10) }, nil, func(t *testing.T, s *sockt.Server) {
		connect(s, "").ExpectRefused(http.StatusBadRequest)
		ada := connect(s, "nick=ada")
		ada.ExpectText("* ada joined lobby")
		bob := connect(s, "nick=bob")
		bob.ExpectText("* ada joined lobby") // the room's history
		bob.ExpectText("* bob joined lobby")
		ada.ExpectText("* bob joined lobby")
		connect(s, "nick=ada").ExpectClose(4001, "nickname taken")
		connect(s, "nick=%FF").ExpectRefused(http.StatusBadRequest) // not text: it would break every member's pushes

		ada.SendText("hello")
		ada.ExpectText("ada: hello")
		bob.ExpectText("ada: hello")
		bob.SendText("/who")
		bob.ExpectText("* in lobby: ada, bob")

		bob.SendText("/join kitchen")
		bob.ExpectText("* bob joined kitchen")
		ada.ExpectText("* bob left lobby")
		ada.SendText("anyone?")
		ada.ExpectText("ada: anyone?")
		bob.Sync()
		bob.RefutePush() // in the kitchen now

		bob.Close(sock.CloseNormal, "")
		bob.ExpectTerminate(sock.ReasonRemote)
		cy := connect(s, "nick=cy&room=kitchen")
		cy.ExpectText("* bob joined kitchen")
		cy.ExpectText("* bob left kitchen")
	})
}

// Fuzzed with three members: sock's rules, no handler bug, every
// connection ends, the same steps give the same trace.
func TestChatLifecycles(t *testing.T) {
	scenarios.Check(t, func() *sockhttp.Server { return room.NewServer(5) }, &scenarios.Options{
		Connects: []scenarios.Connect{{Target: "/?nick=ada"}, {Target: "/?nick=bob&room=kitchen"}, {Target: "/?nick=ada"}},
		Messages: rapid.SampledFrom([]sock.Frame{sock.Text("hi"), sock.Text("/join kitchen"), sock.Text("/join lobby"), sock.Text("/who")}),
	})
}
