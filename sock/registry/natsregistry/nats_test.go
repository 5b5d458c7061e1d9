package natsregistry_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/registry"
	"github.com/sockkit/sockkit/sock/registry/natsregistry"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sockt"
)

// connect connects to NATS as a node would, retrying fast after a drop.
func connect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.ReconnectWait(20*time.Millisecond), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// said is what a member says to its room.
type said struct{ Nick, Text string }

// node is a node of the test's chat cluster.
type node struct {
	*sockt.Server
	reg     *registry.Registry
	cluster *natsregistry.Cluster
	nc      *nats.Conn
}

// newNode returns a node of the chat cluster: a chat server on loopback
// whose registry is linked to the others through NATS at url.
func newNode(t testing.TB, url string, opts *natsregistry.Options) node {
	t.Helper()
	var o natsregistry.Options
	if opts != nil {
		o = *opts
	}
	o.Codec = natsregistry.JSON(said{})
	o.OnError = func(err error) { t.Log(err) }
	nc := connect(t, url)
	cluster, err := natsregistry.New(nc, &o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cluster.Close() })
	reg := registry.New(&registry.Options{Cluster: cluster})
	srv := sockhttp.NewServer(func(r *http.Request) (sockhttp.Accept, error) {
		return sockhttp.Accept{Handler: &member{reg: reg, nick: r.URL.Query().Get("nick")}}, nil
	}, nil)
	srv.WrapHandlers(reg.Track)
	return node{sockt.DialServer(t, srv, &sockt.Options{Wait: 5 * time.Second}), reg, cluster, nc}
}

// member is a chat member: it holds its nickname, if it has one, and is in
// the room; "to NICK TEXT" sends TEXT to NICK, anything else is said to the
// room.
type member struct {
	reg  *registry.Registry
	nick string
}

func (m *member) Init(c *sock.Conn) sock.Result {
	if m.nick != "" {
		switch err := m.reg.Register(m.nick, c); {
		case errors.Is(err, registry.ErrNameTaken):
			return sock.Close(4001, "name taken")
		case err != nil: // the cluster could not tell
			return sock.Close(sock.CloseTryAgainLater, "try again later")
		}
	}
	m.reg.Join("room", c)
	return sock.Continue()
}

func (m *member) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result {
	text := string(msg.Payload)
	if to, ok := strings.CutPrefix(text, "to "); ok {
		nick, text, _ := strings.Cut(to, " ")
		if err := m.reg.Send(nick, m.nick+" says "+text); err != nil {
			return sock.Push(sock.Text("not sent: " + err.Error()))
		}
		return sock.Continue()
	}
	if p := m.reg.Publish("room", said{m.nick, text}); p.Err != nil {
		return sock.Push(sock.Text("not published: " + p.Err.Error()))
	}
	return sock.Continue()
}

func (m *member) HandleInfo(_ *sock.Conn, info any) sock.Result {
	switch info := info.(type) {
	case said:
		return sock.Push(sock.Text(info.Nick + ": " + info.Text))
	case string:
		return sock.Push(sock.Text(info))
	case registry.NameLost:
		return sock.Push(sock.Text("lost " + info.Name))
	}
	return sock.Continue()
}

// as returns the upgrade request of a member with that nickname.
func as(nick string) *http.Request {
	return httptest.NewRequest(http.MethodGet, "/?nick="+nick, nil)
}

// eventually retries f until it returns nil, for up to 10s.
func eventually(t testing.TB, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
