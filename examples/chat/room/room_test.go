package room_test

import (
	"net/http"
	"testing"

	"github.com/nats-io/nats.go"
	"pgregory.net/rapid"

	"github.com/sockkit/sockkit/examples/chat/room"
	"github.com/sockkit/sockkit/scenarios"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/registry/natsregistry"
	"github.com/sockkit/sockkit/sock/registry/natsregistry/natstest"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sockt"
)

func connect(s *sockt.Server, query string) *sockt.Conn {
	r, _ := http.NewRequest(http.MethodGet, "/?"+query, nil)
	return s.Connect(r)
}

func TestChatBothWays(t *testing.T) {
	sockt.RunServer(t, func() *sockhttp.Server { return room.NewServer(10, nil, nil) }, nil, func(t *testing.T, s *sockt.Server) {
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
		cy := connect(s, "nick=cy")
		cy.ExpectText("* ada joined lobby") // the lobby's history
		cy.ExpectText("* bob joined lobby")
		cy.ExpectText("ada: hello")
		cy.ExpectText("* bob left lobby")
		cy.ExpectText("ada: anyone?")
		cy.ExpectText("* cy joined lobby")
		cy.SendText("/join kitchen")
		cy.ExpectText("* cy joined kitchen") // empty since bob left: no history kept
	})
}

// Fuzzed with three members: sock's rules, no handler bug, every
// connection ends, the same steps give the same trace.
func TestChatLifecycles(t *testing.T) {
	scenarios.Check(t, func() *sockhttp.Server { return room.NewServer(5, nil, nil) }, &scenarios.Options{
		Connects: []scenarios.Connect{{Target: "/?nick=ada"}, {Target: "/?nick=bob&room=kitchen"}, {Target: "/?nick=ada"}},
		Messages: rapid.SampledFrom([]sock.Frame{sock.Text("hi"), sock.Text("/join kitchen"), sock.Text("/join lobby"), sock.Text("/who")}),
	})
}

// Two chat servers, one chat: through a real NATS server, a line said on
// one reaches the room on the other, a nickname is held once, and each
// server's history has the lines it received.
func TestChatOnTwoNodes(t *testing.T) {
	url := natstest.Start(t)
	node := func() (*sockt.Server, *nats.Conn) {
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		cluster, err := natsregistry.New(nc, &natsregistry.Options{Codec: natsregistry.JSON(room.Line(""))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cluster.Close() })
		return sockt.DialServer(t, room.NewServer(10, cluster, nil), nil), nc
	}
	a, na := node()
	b, nb := node()

	ada := connect(a, "nick=ada")
	ada.ExpectText("* ada joined lobby")
	na.Flush() // the notice has reached NATS, where no other node hears the lobby yet
	bob := connect(b, "nick=bob")
	bob.ExpectText("* bob joined lobby") // b had no one in the lobby: no history
	nb.Flush()                           // b's subscription to the lobby has reached NATS
	ada.ExpectText("* bob joined lobby")
	connect(b, "nick=ada").ExpectClose(4001, "nickname taken")

	ada.SendText("hello")
	ada.ExpectText("ada: hello")
	bob.ExpectText("ada: hello")
	bob.SendText("hi ada")
	bob.ExpectText("bob: hi ada")
	ada.ExpectText("bob: hi ada")

	cy := connect(b, "nick=cy")
	for _, l := range []string{"* bob joined lobby", "ada: hello", "bob: hi ada", "* cy joined lobby"} {
		cy.ExpectText(l)
	}
	ada.ExpectText("* cy joined lobby")
}
