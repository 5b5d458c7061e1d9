package registry_test

import (
	"fmt"
	"net/http"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/registry"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sockt"
)

// lobby publishes what each member says to every member, by nickname.
type lobby struct {
	reg  *registry.Registry
	nick string
}

func (l *lobby) Init(c *sock.Conn) sock.Result {
	if l.reg.Register(l.nick, c) != nil {
		return sock.Close(4001, "nickname taken")
	}
	l.reg.Join("lobby", c)
	return sock.Continue()
}

func (l *lobby) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result {
	l.reg.Publish("lobby", l.nick+": "+string(msg.Payload))
	return sock.Continue()
}

func (l *lobby) HandleInfo(_ *sock.Conn, info any) sock.Result {
	return sock.Push(sock.Text(info.(string)))
}

func Example() {
	reg := registry.New(nil)
	srv := sockhttp.NewServer(func(r *http.Request) (sockhttp.Accept, error) {
		return sockhttp.Accept{Handler: &lobby{reg: reg, nick: r.URL.Query().Get("nick")}}, nil
	}, nil)
	srv.WrapHandlers(reg.Track) // members are forgotten when they end

	sockt.Failures(func(t sockt.TB) { // as a test would, in the simulator
		s := sockt.NewServer(t, srv, nil)
		connect := func(nick string) *sockt.Conn {
			r, _ := http.NewRequest(http.MethodGet, "/?nick="+nick, nil)
			return s.Connect(r)
		}
		ada, bob := connect("ada"), connect("bob")
		fmt.Println(connect("ada").Handshake().Status, "then closed:", reg.Members("lobby"), "members")
		ada.SendText("hello")
		frames, _ := bob.End()
		fmt.Println("bob got", frames[0])
		fmt.Println(reg.Members("lobby"), "member left,", reg.Lookup("bob") == nil)
	})
	// Output:
	// 101 then closed: 2 members
	// bob got text "ada: hello"
	// 1 member left, true
}
