package sock_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/sockkit/sockkit/sock"
)

// memTransport emits n copies of a message, then a close frame, and
// writes nowhere: what Serve costs a message, without a socket.
type memTransport struct {
	n   int
	msg sock.Frame
}

func (m *memTransport) ReadFrames(emit func(sock.Frame)) error {
	for range m.n {
		emit(m.msg)
	}
	emit(sock.CloseFrame(sock.CloseNormal, ""))
	return nil
}

func (m *memTransport) WriteFrame(sock.Frame, time.Time) error { return nil }
func (m *memTransport) Close() error                           { return nil }

// BenchmarkServeEcho measures Serve's own cost of a message echoed (the
// driver's lock, clock and timer, the Session, the handler), over a
// transport that reads from memory and writes nowhere.
func BenchmarkServeEcho(b *testing.B) {
	echo := sock.HandlerFunc(func(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) })
	t := &memTransport{n: b.N, msg: sock.Binary(make([]byte, 1024))}
	s := sock.NewSession(echo, sock.ConnInfo{}, &sock.Options{Logger: slog.New(slog.DiscardHandler)})
	b.ReportAllocs()
	b.ResetTimer()
	if err := sock.Serve(context.Background(), t, s); err != nil {
		b.Fatal(err)
	}
}
