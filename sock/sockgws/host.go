package sockgws

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"time"

	"github.com/lxzan/gws"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// Options configures the gws host. A nil *Options means all defaults.
type Options struct {
	// ReadBufferSize sizes each connection's read buffer, in bytes.
	// Default 4096.
	ReadBufferSize int
}

// Host returns a [sockhttp.Host] on gws; give it to [sockhttp.Options].Host.
func Host(opts *Options) sockhttp.Host {
	h := &host{bufSize: 4096}
	if opts != nil && opts.ReadBufferSize > 0 {
		h.bufSize = opts.ReadBufferSize
	}
	// No limit of gws's own: the reader enforces each connection's, on
	// the declared lengths, before gws reads a frame.
	h.upgrader = gws.NewUpgrader(events{}, &gws.ServerOption{ReadMaxPayloadSize: math.MaxInt, ReadBufferSize: h.bufSize})
	return h
}

type host struct {
	bufSize  int
	upgrader *gws.Upgrader
}

// handshakeTimeout bounds the writing of the 101 response.
const handshakeTimeout = 10 * time.Second

// Upgrade implements [sockhttp.Host].
func (h *host) Upgrade(w http.ResponseWriter, r *http.Request, header http.Header, l sockhttp.Limits) (sock.Transport, error) {
	t, br, err := h.takeOver(w, l)
	if err != nil {
		return nil, err
	}
	conn, err := h.upgrader.UpgradeFromConn(t.reader, br, upgradeRequest)
	if err == nil {
		t.conn = conn
		err = writeSwitching(t.raw, r, header)
	}
	if err != nil {
		t.raw.Close()
		return nil, fmt.Errorf("sockgws: %w", err)
	}
	return t, nil
}

// takeOver hijacks the connection under w, and returns its transport and
// the buffered reader gws is to read through.
//
// Apart from Upgrade, and not inlined: its frame (a bufio.Reader built on
// it, among others) would otherwise lie under gws's upgrade, and the stack
// under every connection grew to 8 KiB (measured with
// TestIdleConnMemoryBudget).
//
//go:noinline
func (h *host) takeOver(w http.ResponseWriter, l sockhttp.Limits) (*transport, *bufio.Reader, error) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, cannotTakeOver, http.StatusInternalServerError)
		return nil, nil, errors.New("sockgws: http.ResponseWriter is not an http.Hijacker")
	}
	raw, brw, err := hj.Hijack()
	if err != nil {
		http.Error(w, cannotTakeOver, http.StatusInternalServerError)
		return nil, nil, fmt.Errorf("sockgws: %w", err)
	}
	if brw.Reader.Buffered() > 0 { // frames before the 101: as gorilla, refuse
		raw.Close()
		return nil, nil, errors.New("sockgws: the client sent data before the handshake was complete")
	}
	t := &transport{raw: raw, budget: l.Budget}
	t.reader = &reader{Conn: raw, t: t, max: l.MaxMessageSize}
	br := brw.Reader // net/http's, idle now: 4 KiB less a connection than a reader of our own
	if br.Size() == h.bufSize {
		br.Reset(t.reader)
	} else {
		br = bufio.NewReaderSize(t.reader, h.bufSize)
	}
	return t, br, nil
}

// cannotTakeOver is the body of the 500 answered when the connection
// cannot be hijacked.
const cannotTakeOver = "sockgws: the response cannot be taken over"

// upgradeRequest is the request gws is given to upgrade, the same for
// every connection: the server has checked the client's (whose headers
// gws would want as one token each, where the RFC allows lists), and gws's
// answer is swallowed. A copy of the client's request made the stack under
// every connection 8 KiB (measured with TestIdleConnMemoryBudget).
var upgradeRequest = &http.Request{Method: http.MethodGet, Header: http.Header{
	"Upgrade":               {"websocket"},
	"Connection":            {"Upgrade"},
	"Sec-Websocket-Version": {"13"},
	"Sec-Websocket-Key":     {"dGhlIHNhbXBsZSBub25jZQ=="},
}}

// writeSwitching writes the 101 response to r, with header added to the
// handshake's own.
func writeSwitching(raw net.Conn, r *http.Request, header http.Header) error {
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ")
	b.WriteString(sockhttp.AcceptKey(r.Header.Get("Sec-WebSocket-Key")))
	b.WriteString("\r\n")
	if err := header.Write(&b); err != nil {
		return err
	}
	b.WriteString("\r\n")
	raw.SetWriteDeadline(time.Now().Add(handshakeTimeout))
	_, err := raw.Write(b.Bytes())
	raw.SetWriteDeadline(time.Time{})
	if err != nil {
		return fmt.Errorf("writing the handshake: %w", err)
	}
	return nil
}
