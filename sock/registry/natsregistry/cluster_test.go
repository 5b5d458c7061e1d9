package natsregistry_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/registry/natsregistry"
	"github.com/sockkit/sockkit/sock/registry/natsregistry/natstest"
	"github.com/sockkit/sockkit/sockt"
)

// A member on one node publishes; members on both nodes receive, once
// each, in the order it published.
func TestGroupAcrossNodes(t *testing.T) {
	url := natstest.Start(t)
	a := newNode(t, url, nil)
	b := newNode(t, url, nil)
	ada, cy := a.Connect(as("ada")), a.Connect(as("cy"))
	bob := b.Connect(as("bob"))
	b.nc.Flush() // node b's subscription to the room has reached the server

	const n = 200
	for i := range n {
		ada.SendText(fmt.Sprint(i))
	}
	ada.Sync() // ada's lines are in her node's queues: bob's comes after them there
	bob.SendText("hi")
	for _, c := range []interface{ ExpectText(string) }{ada, cy} {
		for i := range n {
			c.ExpectText(fmt.Sprintf("ada: %d", i))
		}
		c.ExpectText("bob: hi") // and not ada's lines again, back from NATS
	}
	// bob heard his own line at some point among ada's
	var heard []string
	for range n + 1 {
		if f := bob.ExpectPush(sockt.Any()); string(f.Payload) != "bob: hi" {
			heard = append(heard, string(f.Payload))
		}
	}
	for i, line := range heard {
		if want := fmt.Sprintf("ada: %d", i); line != want {
			t.Fatalf("bob's line %d from ada is %q, want %q", i, line, want)
		}
	}
	for _, c := range []interface{ RefutePush() }{ada, bob, cy} {
		c.RefutePush()
	}
}

// A name is held once in the cluster; Send reaches it from any node; when
// its connection ends, another node may take it.
func TestNamesAcrossNodes(t *testing.T) {
	url := natstest.Start(t)
	a := newNode(t, url, nil)
	b := newNode(t, url, nil)
	ada := a.Connect(as("ada"))
	b.Connect(as("ada")).ExpectClose(4001, "name taken")
	a.Connect(as("ada")).ExpectClose(4001, "name taken")

	bob := b.Connect(as("bob"))
	bob.SendText("to ada hi")
	ada.ExpectText("bob says hi")
	ada.SendText("to bob hello")
	bob.ExpectText("ada says hello")
	bob.SendText("to cy hi")
	bob.ExpectText("not sent: registry: no connection has that name")

	ada.Close(1000, "bye")
	ada.ExpectClose(1000, "")
	eventually(t, "ada's name free again", func() error {
		c := b.Connect(as("ada"))
		if !c.Sync() {
			return errors.New("still taken")
		}
		return nil
	})
}

// Cut off from NATS, a node keeps serving its own connections and refuses
// new names; back, it sends what it published meanwhile, keeps its names
// and hears the others again. What others published meanwhile is lost to
// it: NATS delivers at most once.
func TestConnectionDropsAndReturns(t *testing.T) {
	url := natstest.Start(t)
	p := natstest.NewProxy(t, url)
	opts := &natsregistry.Options{Timeout: 300 * time.Millisecond}
	a := newNode(t, p.URL(), opts)
	b := newNode(t, url, opts)
	ada, cy := a.Connect(as("ada")), a.Connect(as("cy"))
	bob := b.Connect(as("bob"))
	a.nc.Flush()
	b.nc.Flush()

	p.Cut()
	eventually(t, "node a cut off", func() error {
		if a.nc.IsConnected() {
			return errors.New("still connected") // what it publishes now may be lost with the connection
		}
		return nil
	})
	ada.SendText("alone")
	ada.ExpectText("ada: alone")
	cy.ExpectText("ada: alone")
	a.Connect(as("dee")).ExpectClose(sock.CloseTryAgainLater, "try again later")
	bob.SendText("while apart")
	bob.ExpectText("bob: while apart")
	b.Connect(as("ada")).ExpectClose(4001, "name taken") // still ada's

	p.Restore()
	eventually(t, "node a back", func() error {
		if !a.Connect(as("dee")).Sync() {
			return errors.New("dee refused")
		}
		return nil
	})
	bob.ExpectText("ada: alone") // kept by node a's NATS connection, sent on its return
	bob.SendText("again")
	for _, c := range []*sockt.Conn{ada, cy, bob} {
		c.ExpectText("bob: again") // not "while apart" first: lost to node a
	}
	b.Connect(as("ada")).ExpectClose(4001, "name taken")
}

// A node cut off for longer than NodeTTL loses its names to the nodes that
// claim them meanwhile: back, it takes the name from its connection, which
// hears of it.
func TestNameLostAfterALongCut(t *testing.T) {
	url := natstest.Start(t)
	p := natstest.NewProxy(t, url)
	opts := &natsregistry.Options{NodeTTL: time.Second, Timeout: 300 * time.Millisecond}
	a := newNode(t, p.URL(), opts)
	b := newNode(t, url, opts)
	ada := a.Connect(as("ada"))

	p.Cut()
	var ada2 *sockt.Conn
	eventually(t, "ada's name expired", func() error {
		if ada2 = b.Connect(as("ada")); !ada2.Sync() {
			return errors.New("still taken")
		}
		return nil
	})
	p.Restore()
	ada.ExpectText("lost ada")
	if a.reg.Lookup("ada") != nil {
		t.Error("node a still has a connection named ada")
	}
	a.Connect(as("ada")).ExpectClose(4001, "name taken")
	ada.SendText("to ada hi") // from the ada that lost the name to the one that has it
	ada2.ExpectText("ada says hi")
}

// The names of a node that dies without a word are free once it is taken
// for dead; those of a node that closes its cluster, at once.
func TestNamesOfANodeThatEnds(t *testing.T) {
	url := natstest.Start(t)
	opts := &natsregistry.Options{NodeTTL: time.Second}
	a, b, c := newNode(t, url, opts), newNode(t, url, opts), newNode(t, url, opts)
	a.Connect(as("ada"))
	b.Connect(as("bob"))

	a.nc.Close() // dies: its key is not renewed
	if err := b.cluster.Close(); err != nil {
		t.Fatal(err)
	}
	if !c.Connect(as("bob")).Sync() {
		t.Fatal("bob's name still taken after his node closed its cluster")
	}
	c.Connect(as("ada")).ExpectClose(4001, "name taken") // her node is not taken for dead yet
	names, err := jetstream.New(c.nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := names.KeyValue(t.Context(), "sockkit-names")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "ada's name deleted with her node", func() error {
		if _, err := kv.Get(t.Context(), "ada"); !errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("ada's key: %v", err)
		}
		return nil
	})
	if !c.Connect(as("ada")).Sync() {
		t.Error("ada's name still taken")
	}
}
