package sockhttp_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockkit/sockkit/internal/hosttest"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockgws"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// hosts are the WebSocket libraries a Server runs on; the tests here run
// on each.
var hosts = []struct {
	name string
	host func() sockhttp.Host
}{
	{"gorilla", func() sockhttp.Host { return nil }},
	{"gws", func() sockhttp.Host { return sockgws.Host(nil) }},
}

// eachHostHere skips a test that runs on each host itself when the whole
// suite runs again on gws: the parent's run has covered both, and in the
// child the gorilla entry's nil host would be gws under gorilla's name.
func eachHostHere(t *testing.T) {
	if hosttest.OnGws() {
		t.Skip("run on each host by the parent's run already")
	}
}

// onHosts runs test on each host, with opts given that host.
func onHosts(t *testing.T, opts sockhttp.Options, test func(t *testing.T, opts *sockhttp.Options)) {
	eachHostHere(t)
	for _, h := range hosts {
		t.Run(h.name, func(t *testing.T) {
			o := opts
			o.Host = h.host()
			test(t, &o)
		})
	}
}

// A message in fragments with pings between them is one message still
// arriving: past a budget of 1 byte, 1013.
func TestBudgetWithPingsBetweenFragments(t *testing.T) {
	onHosts(t, sockhttp.Options{MemoryBudget: 1, ConnOptions: &sock.Options{MaxMessageSize: 1 << 20}}, func(t *testing.T, o *sockhttp.Options) {
		srv, _ := serve(t, newProbe(nil), o)
		c := dialRaw(t, srv.URL)
		frag := bytes.Repeat([]byte{'x'}, 40<<10)
		for i := range 4 {
			op := byte(0)
			if i == 0 {
				op = 2
			}
			c.nc.Write(c.frame(rawHeader{fin: i == 3, opcode: op, masked: true}, frag)) // the server may have closed
			c.nc.Write(c.frame(rawHeader{fin: true, opcode: 0x9, masked: true}, []byte("p")))
		}
		for {
			f := c.mustRead()
			switch f.opcode {
			case 0x8:
				if f.closeCode() != 1013 {
					t.Fatalf("close %d, want 1013", f.closeCode())
				}
				return
			case 0x2:
				t.Fatalf("a message of %d bytes came back: the budget was not taken", len(f.payload))
			}
		}
	})
}

// Clients that send the header of a 32 MiB frame and one byte pin next to
// nothing past a budget of 1 byte, whatever the host allocates for the
// frames it reads.
func TestBudgetAgainstDeclaredLengths(t *testing.T) {
	onHosts(t, sockhttp.Options{MemoryBudget: 1, ConnOptions: &sock.Options{MaxMessageSize: 64 << 20}}, func(t *testing.T, o *sockhttp.Options) {
		srv, _ := serve(t, newProbe(nil), o)
		const conns, declared = 4, 32 << 20
		var clients []*rawConn
		for range conns {
			clients = append(clients, dialRaw(t, srv.URL))
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for _, c := range clients {
			hdr := []byte{0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 'a'}
			binary.BigEndian.PutUint64(hdr[2:10], declared)
			c.writeRaw(hdr)
		}
		time.Sleep(300 * time.Millisecond)
		runtime.GC()
		runtime.ReadMemStats(&after)
		if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > conns*(sockhttp.FreeBytes+1<<20) {
			t.Errorf("%d clients that sent a header and 1 byte each pin %d MiB; the budget is 1 byte", conns, grew>>20)
		}
	})
}

// A ping that declares 2 MiB is a control frame over 125 bytes, 1002,
// whatever the size limit.
func TestHugeControlFrameIs1002(t *testing.T) {
	onHosts(t, sockhttp.Options{ConnOptions: &sock.Options{MaxMessageSize: 1 << 20}}, func(t *testing.T, o *sockhttp.Options) {
		srv, _ := serve(t, newProbe(nil), o)
		c := dialRaw(t, srv.URL)
		c.writeRaw([]byte{0x89, 0x80 | 127, 0, 0, 0, 0, 0, 0x20, 0, 0, 1, 2, 3, 4})
		if f := c.mustRead(); f.opcode != 0x8 || f.closeCode() != 1002 {
			t.Fatalf("opcode %d, code %d; want close 1002", f.opcode, f.closeCode())
		}
	})
}

// Upgrade and Connection are lists of tokens (RFC 9110 §7.8): a request the
// server accepts, every host answers with 101.
func TestUpgradeHeaderAsAList(t *testing.T) {
	onHosts(t, sockhttp.Options{}, func(t *testing.T, o *sockhttp.Options) {
		srv, _ := serve(t, newProbe(nil), o)
		c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket, foo/1\r\nConnection: keep-alive, Upgrade\r\n"+
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("response %v, %v; want 101", resp, err)
		}
	})
}

// The whole suite again, on the gws host, in a child of this test binary:
// every loopback test of sockhttp is a test of both hosts; the few of what
// only gorilla has skip themselves there.
func TestSuiteOnGws(t *testing.T) { hosttest.RunOnGws(t) }

// A close frame with a one-byte payload breaks RFC 6455 §5.5.1. gws shows
// the payload and the Session answers 1002, as in the simulator; gorilla
// reads it as a close without a code and shows nothing more, so over it
// the closing handshake answers with no code (see docs/architecture.md).
func TestOneByteCloseOnHosts(t *testing.T) {
	want := map[string]uint16{"gorilla": 0, "gws": 1002}
	onHosts(t, sockhttp.Options{}, func(t *testing.T, opts *sockhttp.Options) {
		srv, _ := serve(t, newProbe(nil), opts)
		c := dialRaw(t, srv.URL)
		c.send(opClose, []byte{3})
		f := c.mustRead()
		var code uint16
		if len(f.payload) >= 2 {
			code = binary.BigEndian.Uint16(f.payload)
		}
		host := t.Name()[strings.LastIndex(t.Name(), "/")+1:]
		if f.opcode != opClose || code != want[host] {
			t.Errorf("answer: opcode %d, payload %x; want close %d", f.opcode, f.payload, want[host])
		}
	})
}

// A payload is handed over without the spare room of the buffer it was
// read into: an append in the callback copies rather than writes into a
// pooled buffer another message will use.
func TestPayloadHasNoSpareRoom(t *testing.T) {
	onHosts(t, sockhttp.Options{}, func(t *testing.T, opts *sockhttp.Options) {
		spare := make(chan int, 3)
		p := newProbe(func(_ *sock.Conn, msg sock.Frame) sock.Result {
			spare <- cap(msg.Payload) - len(msg.Payload)
			return sock.Push(msg)
		})
		srv, _ := serve(t, p, opts)
		c := dial(t, srv, nil)
		for _, size := range []int{1, 700, 5000} {
			if err := c.WriteMessage(websocket.BinaryMessage, make([]byte, size)); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.ReadMessage(); err != nil {
				t.Fatal(err)
			}
			if n := <-spare; n != 0 {
				t.Errorf("a payload of %d bytes came with %d bytes of spare room", size, n)
			}
		}
	})
}
