// Package natstest runs a real NATS server with JetStream inside a test, on
// a loopback port, and cuts a node off from it on demand: what tests of a
// [natsregistry.Cluster] need, without Docker or a server to install.
//
//	func TestTwoNodes(t *testing.T) {
//		url := natstest.Start(t)
//		p := natstest.NewProxy(t, url) // node A reaches NATS through p
//		...
//		p.Cut()     // node A is cut off
//		p.Restore() // and back
//	}
package natstest

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Start runs a NATS server with JetStream (in memory and in a temporary
// directory) on a loopback port until the test ends, and returns its URL.
func Start(t testing.TB) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(s.Shutdown)
	if !s.ReadyForConnections(5 * time.Second) {
		t.Fatal("natstest: the NATS server did not start")
	}
	return s.ClientURL()
}

// Proxy stands between clients and a NATS server, so that a test can cut
// them off and let them back, as a network would.
type Proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns []net.Conn
}

// NewProxy returns a proxy to the NATS server at url, serving on a
// loopback port until the test ends.
func NewProxy(t testing.TB, url string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: strings.TrimPrefix(url, "nats://")}
	t.Cleanup(func() {
		ln.Close()
		p.Cut()
	})
	go p.serve()
	return p
}

// URL is the proxy's, for clients to connect to.
func (p *Proxy) URL() string { return "nats://" + p.ln.Addr().String() }

// Cut closes every connection through the proxy, and refuses new ones
// until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Restore lets connections through again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

func (p *Proxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		if p.cut {
			in.Close()
			out.Close()
		} else {
			p.conns = append(p.conns, in, out)
		}
		p.mu.Unlock()
		go pipe(out, in)
		go pipe(in, out)
	}
}

// pipe copies from one connection to the other, and closes both when
// either ends.
func pipe(dst, src net.Conn) {
	io.Copy(dst, src)
	dst.Close()
	src.Close()
}
