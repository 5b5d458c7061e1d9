package sockgws

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
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
	return h
}

type host struct {
	bufSize   int
	upgraders sync.Map // gws Upgraders by the largest message they read, as gws takes it from its options
}

// upgrader returns a gws Upgrader that reads messages of max bytes: gws
// takes its limit from its options, and a limit per connection would
// cache an Upgrader for each, so the limit is rounded up to a power of
// two — the reader enforces the exact one before gws reads.
func (h *host) upgrader(max int64) *gws.Upgrader {
	limit := int64(1)
	for limit < max && limit < maxInt/2 {
		limit *= 2
	}
	if u, ok := h.upgraders.Load(limit); ok {
		return u.(*gws.Upgrader)
	}
	u, _ := h.upgraders.LoadOrStore(limit, gws.NewUpgrader(events{}, &gws.ServerOption{
		ReadMaxPayloadSize: int(limit),
		ReadBufferSize:     h.bufSize,
	}))
	return u.(*gws.Upgrader)
}

const maxInt = int64(^uint(0) >> 1)

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
	conn, err := h.upgrader(l.MaxMessageSize).UpgradeFromConn(t.reader, bufio.NewReaderSize(t.reader, h.bufSize), &asked)
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
	sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ")
	b.WriteString(base64.StdEncoding.EncodeToString(sum[:]))
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
