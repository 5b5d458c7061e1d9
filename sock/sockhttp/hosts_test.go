package sockhttp_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockkit/sockkit/internal/hosttest"
	"github.com/sockkit/sockkit/internal/wire"
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

// Over TLS 1.2, a client's last frame and its close_notify often come in
// one read, which crypto/tls returns with io.EOF: the frame is read and
// checked first, on every host. (A TLS 1.3 alert looks like data from
// outside, and crypto/tls does not look ahead for it.)
func TestTLSFrameThenCloseNotify(t *testing.T) {
	closeFrame := binary.BigEndian.AppendUint16(nil, 4000)
	for _, tc := range []struct {
		name  string
		frame rawHeader
		p     []byte
		want  sock.Reason // kind and code
	}{
		{"close 4000", rawHeader{fin: true, opcode: opClose, masked: true}, closeFrame, sock.Reason{Kind: sock.ReasonRemote, Code: 4000}},
		{"a reserved bit", rawHeader{fin: true, rsv: 0x40, opcode: opText, masked: true}, []byte("x"), sock.Reason{Kind: sock.ReasonError, Code: 1002}},
		{"a continuation of nothing", rawHeader{fin: true, opcode: opContinuation, masked: true}, []byte("x"), sock.Reason{Kind: sock.ReasonError, Code: 1002}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			onHosts(t, sockhttp.Options{}, func(t *testing.T, o *sockhttp.Options) {
				tlsFrameThenCloseNotify(t, o, tc.frame, tc.p, tc.want)
			})
		})
	}
}

// tlsFrameThenCloseNotify sends a frame with header h and payload p, and
// close_notify, in one piece, and checks Terminate's reason.
func tlsFrameThenCloseNotify(t *testing.T, o *sockhttp.Options, h rawHeader, payload []byte, want sock.Reason) {
	p := newProbe(nil)
	srv := httptest.NewUnstartedServer(sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return p }), o))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "https://")
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	held := &heldConn{Conn: nc}
	cfg := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	cfg.MaxVersion = tls.VersionTLS12
	cfg.ServerName = "example.com" // httptest's certificate
	tc12 := tls.Client(held, cfg)
	c := upgradeRaw(t, tc12, addr)
	held.hold = true
	c.write(h, payload)
	tc12.CloseWrite() // close_notify, held with the frame
	held.flush()
	if r := p.reason(t); r.Kind != want.Kind || r.Code != want.Code {
		t.Errorf("Terminate's reason %v, want %v %d", r, want.Kind, want.Code)
	}
}

// heldConn keeps what is written while hold is set, for flush to write in
// one piece.
type heldConn struct {
	net.Conn
	hold bool
	buf  []byte
}

func (h *heldConn) Write(p []byte) (int, error) {
	if h.hold {
		h.buf = append(h.buf, p...)
		return len(p), nil
	}
	return h.Conn.Write(p)
}

func (h *heldConn) flush() {
	h.hold = false
	h.Conn.SetWriteDeadline(time.Time{}) // tls.Conn.CloseWrite set one
	h.Conn.Write(h.buf)
}

// Fragments whose declared lengths add up past what an int64 holds end
// the connection, with or without a memory budget, and nothing is
// allocated for them: gws's host says 1009, the message is too big;
// gorilla reports the sum as it reports a length with the top bit set,
// which its host can only tell the peer with 1002.
func TestFragmentLengthsPastInt64(t *testing.T) {
	for _, budget := range []int64{0, -1} { // the default budget, none
		t.Run(fmt.Sprintf("budget=%d", budget), func(t *testing.T) { fragmentLengthsPastInt64(t, budget) })
	}
}

func fragmentLengthsPastInt64(t *testing.T, budget int64) {
	onHosts(t, sockhttp.Options{MemoryBudget: budget}, func(t *testing.T, o *sockhttp.Options) {
		want, wantErr := 1009, sock.ErrMessageTooBig
		if o.Host == nil {
			want, wantErr = 1002, sock.ErrProtocol
		}
		p := newProbe(nil)
		srv, _ := serve(t, p, o)
		c := dialRaw(t, srv.URL)
		first := c.frame(rawHeader{fin: false, opcode: opBinary, masked: true}, []byte("x"))
		huge := append(wire.Head(wire.Header{Fin: true, Op: opContinuation, Masked: true}, 1<<63-1), 'y')
		c.writeRaw(append(first, huge...))
		if f := c.mustRead(); f.opcode != opClose || f.closeCode() != want {
			t.Fatalf("budget %d: server sent opcode %d code %d, want close %d", budget, f.opcode, f.closeCode(), want)
		}
		if r := p.reason(t); !errors.Is(r.Err, wantErr) {
			t.Errorf("budget %d: Terminate's reason %v, want %v", budget, r, wantErr)
		}
	})
}

// gorilla's settings with another host are a mistake told at once, not
// settings silently ignored.
func TestGorillaSettingsWithAnotherHost(t *testing.T) {
	opts := &sockhttp.Options{Host: sockgws.Host(nil), EnableCompression: true, ConnOptions: &sock.Options{Logger: discard}}
	func() {
		defer func() {
			if s, _ := recover().(string); !strings.Contains(s, "EnableCompression") {
				t.Errorf("NewServer panicked with %q, want a message naming the settings", s)
			}
		}()
		sockhttp.NewServer(nil, opts)
	}()
	w := httptest.NewRecorder()
	if err := sockhttp.Upgrade(w, upgradeRequest("GET", "/", "example.com"), newProbe(nil), opts); err == nil || w.Code != http.StatusInternalServerError {
		t.Errorf("Upgrade = %v, status %d; want an error and 500", err, w.Code)
	}
}

// Over TLS, where a connection has no writev, messages of every size
// echo whole on every host: a frame larger than the write buffer goes in
// two writes.
func TestTLSEchoSizes(t *testing.T) {
	onHosts(t, sockhttp.Options{}, func(t *testing.T, o *sockhttp.Options) {
		srv := httptest.NewUnstartedServer(sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return newProbe(nil) }), o))
		srv.StartTLS()
		t.Cleanup(srv.Close)
		d := websocket.Dialer{TLSClientConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig}
		c, _, err := d.Dial("wss"+strings.TrimPrefix(srv.URL, "https"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for _, n := range []int{5, 4<<10 - 4, 4 << 10, 20 << 10, 100 << 10} {
			msg := bytes.Repeat([]byte{byte(n)}, n)
			c.WriteMessage(websocket.BinaryMessage, msg)
			if _, got, err := c.ReadMessage(); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("%d bytes: %d back, %v", n, len(got), err)
			}
		}
	})
}

// A frame out of order (a stray continuation, a message inside another)
// ends the connection with 1002 even when a frame refused for its size
// follows it in the same read: what arrived first is what the peer did
// first.
func TestProtocolErrorBeforeARefusedFrame(t *testing.T) {
	const limit = 1 << 10
	for _, tc := range []struct {
		name  string
		first func(c *rawConn) []byte
	}{
		{"a continuation of nothing", func(c *rawConn) []byte {
			return c.frame(rawHeader{fin: true, opcode: opContinuation, masked: true}, []byte("x"))
		}},
		{"a message inside another", func(c *rawConn) []byte {
			return append(c.frame(rawHeader{opcode: opBinary, masked: true}, []byte("a")),
				c.frame(rawHeader{fin: true, opcode: opText, masked: true}, []byte("b"))...)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			onHosts(t, sockhttp.Options{ConnOptions: &sock.Options{MaxMessageSize: limit}}, func(t *testing.T, o *sockhttp.Options) {
				p := newProbe(nil)
				srv, _ := serve(t, p, o)
				c := dialRaw(t, srv.URL)
				tooBig := c.frame(rawHeader{fin: true, opcode: opBinary, masked: true}, make([]byte, limit+1))
				c.writeRaw(append(tc.first(c), tooBig...))
				if f := c.mustRead(); f.opcode != opClose || f.closeCode() != 1002 {
					t.Errorf("server sent opcode %d code %d, want close 1002", f.opcode, f.closeCode())
				}
				if r := p.reason(t); !errors.Is(r.Err, sock.ErrProtocol) {
					t.Errorf("Terminate's reason %v, want a protocol error", r)
				}
			})
		})
	}
}

// A frame out of order breaks the protocol whatever its size: 1002, not
// 1009, on every host, as gorilla checks the order first.
func TestOutOfOrderFrameTooBig(t *testing.T) {
	const limit = 1 << 10
	for _, tc := range []struct {
		name   string
		before []rawHeader // frames sent first, of one byte each
		frame  rawHeader   // then this one, past the limit
	}{
		{"a continuation of nothing", nil, rawHeader{fin: true, opcode: opContinuation, masked: true}},
		{"a message inside another", []rawHeader{{opcode: opBinary, masked: true}}, rawHeader{fin: true, opcode: opText, masked: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			onHosts(t, sockhttp.Options{ConnOptions: &sock.Options{MaxMessageSize: limit}}, func(t *testing.T, o *sockhttp.Options) {
				srv, _ := serve(t, newProbe(nil), o)
				c := dialRaw(t, srv.URL)
				var b []byte
				for _, h := range tc.before {
					b = append(b, c.frame(h, []byte("a"))...)
				}
				c.writeRaw(append(b, c.frame(tc.frame, make([]byte, limit+1))...))
				if f := c.mustRead(); f.opcode != opClose || f.closeCode() != 1002 {
					t.Errorf("server sent opcode %d code %d, want close 1002", f.opcode, f.closeCode())
				}
			})
		})
	}
}
