package sockhttp_test

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sockkit/sockkit/internal/wire"
)

// rawConn is a WebSocket client that writes frames byte by byte, so tests can
// send what a well-behaved client library refuses to: bad opcodes, RSV bits,
// unmasked frames, fragmented control frames, stray continuations.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

// rawHeader describes the first two bytes of a frame.
type rawHeader struct {
	fin    bool
	rsv    byte // RSV1..3 as the top bits 0x40, 0x20, 0x10
	opcode byte
	masked bool
}

// dialRaw opens a TCP connection to url (an http:// test server URL) and
// completes the opening handshake.
func dialRaw(t testing.TB, url string) *rawConn {
	t.Helper()
	addr := strings.TrimPrefix(url, "http://")
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	return upgradeRaw(t, nc, addr)
}

// upgradeRaw completes the opening handshake over nc, a connection to
// addr, and closes nc at cleanup.
func upgradeRaw(t testing.TB, nc net.Conn, addr string) *rawConn {
	t.Helper()
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	key := make([]byte, 16)
	rand.Read(key)
	fmt.Fprintf(nc, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", addr, base64.StdEncoding.EncodeToString(key))
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read handshake response: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake status = %d, want 101", resp.StatusCode)
	}
	return &rawConn{t: t, nc: nc, br: br}
}

// write sends one frame with header h and payload p, masking it if h says so.
func (c *rawConn) write(h rawHeader, p []byte) {
	c.t.Helper()
	c.writeRaw(c.frame(h, p))
}

// writeSlowly sends one frame in parts, waiting gap before each part after
// the first: a slow upload.
func (c *rawConn) writeSlowly(h rawHeader, p []byte, parts int, gap time.Duration) {
	c.t.Helper()
	b := c.frame(h, p)
	head := len(b) - len(p)
	c.writeRaw(b[:head])
	size := (len(p) + parts - 1) / parts
	for i := 0; i < len(p); i += size {
		if i > 0 {
			time.Sleep(gap)
		}
		c.writeRaw(b[head+i : head+min(i+size, len(p))])
	}
}

// writeRaw sends b as it is.
func (c *rawConn) writeRaw(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// frame encodes one frame with header h and payload p, masked if h says so.
func (c *rawConn) frame(h rawHeader, p []byte) []byte {
	return wire.Frame(wire.Header{Fin: h.fin, RSV: h.rsv, Op: h.opcode, Masked: h.masked}, p)
}

// send writes a final, masked frame: what a correct client sends.
func (c *rawConn) send(opcode byte, p []byte) {
	c.t.Helper()
	c.write(rawHeader{fin: true, opcode: opcode, masked: true}, p)
}

// rawFrame is a frame read from the server.
type rawFrame struct {
	fin     bool
	opcode  byte
	payload []byte
}

// closeCode returns the code of a close frame, or 1005 if it has none.
func (f rawFrame) closeCode() int {
	if len(f.payload) < 2 {
		return 1005
	}
	return int(binary.BigEndian.Uint16(f.payload))
}

// read reads one frame from the server. Server frames are never masked.
func (c *rawConn) read() (rawFrame, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(c.br, hdr[:]); err != nil {
		return rawFrame{}, err
	}
	if hdr[1]&0x80 != 0 {
		return rawFrame{}, fmt.Errorf("server frame is masked")
	}
	n := uint64(hdr[1] & 0x7F)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(c.br, ext[:]); err != nil {
			return rawFrame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(c.br, ext[:]); err != nil {
			return rawFrame{}, err
		}
		n = binary.BigEndian.Uint64(ext[:])
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(c.br, p); err != nil {
		return rawFrame{}, err
	}
	return rawFrame{fin: hdr[0]&0x80 != 0, opcode: hdr[0] & 0x0F, payload: p}, nil
}

// mustRead reads one frame or fails the test.
func (c *rawConn) mustRead() rawFrame {
	c.t.Helper()
	f, err := c.read()
	if err != nil {
		c.t.Fatalf("read frame: %v", err)
	}
	return f
}

// expectClosed reads until the server closes the TCP connection, failing if
// that does not happen before the connection's deadline.
func (c *rawConn) expectClosed() {
	c.t.Helper()
	for {
		if _, err := c.read(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				c.t.Fatalf("server did not close the connection: %v", err)
			}
			return
		}
	}
}
