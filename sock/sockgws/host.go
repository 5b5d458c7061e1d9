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
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "sockgws: the response cannot be taken over", http.StatusInternalServerError)
		return nil, errors.New("sockgws: http.ResponseWriter is not an http.Hijacker")
	}
	raw, brw, err := hj.Hijack()
	if err != nil {
		return nil, fmt.Errorf("sockgws: %w", err)
	}
	if brw.Reader.Buffered() > 0 { // frames before the 101: as gorilla, refuse
		raw.Close()
		return nil, errors.New("sockgws: the client sent data before the handshake was complete")
	}
	t := &transport{raw: raw, budget: l.Budget}
	t.reader = &reader{Conn: raw, t: t, max: l.MaxMessageSize}
	// gws wants the upgrade headers as one token each; the server has
	// checked them, as lists of tokens (Upgrade: websocket, foo/1).
	asked := *r
	asked.Header = r.Header.Clone()
	asked.Header.Set("Upgrade", "websocket")
	asked.Header.Set("Connection", "Upgrade")
	conn, err := h.upgrader.UpgradeFromConn(t.reader, bufio.NewReaderSize(t.reader, h.bufSize), &asked)
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("sockgws: %w", err)
	}
	t.conn = conn
	if err := writeSwitching(raw, r, header); err != nil {
		raw.Close()
		return nil, fmt.Errorf("sockgws: writing the handshake: %w", err)
	}
	return t, nil
}

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
	return err
}
