package sock_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sockkit/sockkit/sock"
)

// echo pushes every message back.
func echo(c *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) }

// benchmarkEvents feeds one Session the frame f b.N times, each time followed
// by Output, and reports allocations and events per second. The frame and
// the clock are made before the timer starts, as a driver reusing its read
// buffer would.
func benchmarkEvents(b *testing.B, h sock.Handler, f sock.Frame, wantOut int) {
	s := sock.NewSession(h, sock.ConnInfo{}, &sock.Options{Logger: slog.New(slog.DiscardHandler)})
	now := t0
	s.Open(now)
	// Warm up: grow the output buffer to its steady-state size.
	s.Receive(now, f)
	if out := s.Output(); len(out) != wantOut {
		b.Fatalf("Output() = %v, want %d frames", out, wantOut)
	}
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Microsecond)
		s.Receive(now, f)
		if out := s.Output(); len(out) != wantOut {
			b.Fatalf("Output() = %v, want %d frames", out, wantOut)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if s.Done() {
		b.Fatalf("session ended: %v", s.Reason())
	}
}

func BenchmarkSessionEcho(b *testing.B) {
	b.Run("text", func(b *testing.B) {
		benchmarkEvents(b, sock.HandlerFunc(echo), sock.Text("0123456789abcdef"), 1)
	})
	b.Run("binary", func(b *testing.B) {
		benchmarkEvents(b, sock.HandlerFunc(echo), sock.Binary(bytes.Repeat([]byte{0xa5}, 16)), 1)
	})
}

// BenchmarkSessionPing answers pings, with and without a ControlHandler: with
// one the Session copies the payload so the handler may change it before the
// pong is written.
func BenchmarkSessionPing(b *testing.B) {
	ping := sock.Frame{Op: sock.OpPing, Payload: []byte("0123456789abcdef")}
	b.Run("without HandleControl", func(b *testing.B) {
		benchmarkEvents(b, sock.HandlerFunc(echo), ping, 1)
	})
	b.Run("with HandleControl", func(b *testing.B) {
		benchmarkEvents(b, &recorderless{}, ping, 1)
	})
}

// recorderless has a HandleControl that does nothing and logs nothing.
type recorderless struct{}

func (recorderless) HandleIn(c *sock.Conn, msg sock.Frame) sock.Result    { return sock.Push(msg) }
func (recorderless) HandleControl(c *sock.Conn, f sock.Frame) sock.Result { return sock.Continue() }

// BenchmarkSessionPush pushes a 1 KiB message in answer to a 1-byte one:
// the difference between text and binary is what checking that pushed text
// is UTF-8 costs per KiB.
func BenchmarkSessionPush(b *testing.B) {
	for _, tc := range []struct {
		name string
		f    sock.Frame
	}{
		{"binary", sock.Binary(bytes.Repeat([]byte{0xa5}, 1024))},
		{"text ASCII", sock.Text(strings.Repeat("a", 1024))},
		{"text 2-byte runes", sock.Text(strings.Repeat("é", 512))},
		{"text 3-byte runes", sock.Text(strings.Repeat("€", 341) + "a")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			push := sock.HandlerFunc(func(*sock.Conn, sock.Frame) sock.Result { return sock.Push(tc.f) })
			b.SetBytes(int64(len(tc.f.Payload)))
			benchmarkEvents(b, push, sock.Binary([]byte{1}), 1)
		})
	}
}
