package sockt_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sockt"
)

// The benchmarks compare the simulator with a real loopback socket on one
// scripted lifecycle, in one run, and measure what one sockt test costs:
//
//	go test -run '^$' -bench . -benchmem ./sockt
//
// The figure of BenchmarkLifecycle is the ratio of its two sub-benchmarks,
// driver=sockhttp over driver=sim.

// The lifecycle script: this many echoed text messages, then this many info
// messages, then the client's close.
const (
	lifecycleTexts = 8
	lifecycleInfos = 2
)

// lifecycleText is the 16-byte text message the client sends.
var lifecycleText = []byte("0123456789abcdef")

// lifecycle echoes every message and pushes every info, a string, as text.
// opened and ended, if not nil, receive the connection from Init and the
// reason from Terminate; they must be buffered.
type lifecycle struct {
	opened chan<- *sock.Conn
	ended  chan<- sock.Reason
}

func (h *lifecycle) Init(c *sock.Conn) sock.Result {
	if h.opened != nil {
		h.opened <- c
	}
	return sock.Continue()
}

func (h *lifecycle) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) }

func (h *lifecycle) HandleInfo(_ *sock.Conn, info any) sock.Result {
	return sock.Push(sock.Text(info.(string)))
}

func (h *lifecycle) Terminate(_ *sock.Conn, r sock.Reason) {
	if h.ended != nil {
		h.ended <- r
	}
}

// BenchmarkLifecycle runs the same connection lifecycle — connect, Init, 8
// text messages each echoed and read, 2 info messages sent with Conn.Send and
// read as text, the client's close 1000, Terminate — in the simulator and
// over a loopback socket served by sockhttp to a gorilla/websocket client.
func BenchmarkLifecycle(b *testing.B) {
	b.Run("driver=sim", func(b *testing.B) { benchmarkLifecycleSim(b, sim.New) })
	b.Run("driver=sim-untraced", func(b *testing.B) { benchmarkLifecycleSim(b, sim.NewUntraced) })
	b.Run("driver=sockhttp", benchmarkLifecycleSockhttp)
}

func benchmarkLifecycleSim(b *testing.B, newWorld func(seed uint64) *sim.World) {
	msg := sock.Frame{Op: sock.OpText, Payload: lifecycleText}
	read := func(c *sim.Conn, want string) {
		if f, ok := c.Read(); !ok || f.Op != sock.OpText || string(f.Payload) != want {
			b.Fatalf("Read() = %v, %v; want text %q", f, ok, want)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		c := newWorld(1).Connect(&lifecycle{}, nil)
		for range lifecycleTexts {
			c.SendFrame(msg)
			read(c, string(lifecycleText))
		}
		for range lifecycleInfos {
			if err := c.SendInfo("info"); err != nil {
				b.Fatalf("Send = %v, want nil", err)
			}
			read(c, "info")
		}
		c.Close(sock.CloseNormal, "")
		if r := c.Reason(); c.Terminations() != 1 || r.Kind != sock.ReasonRemote || r.Code != sock.CloseNormal {
			b.Fatalf("after the client's close: Terminate ran %d times with %v, want once with remote 1000",
				c.Terminations(), r)
		}
		if !c.Closed() {
			b.Fatalf("transport still open after the closing handshake")
		}
	}
}

func benchmarkLifecycleSockhttp(b *testing.B) {
	opened := make(chan *sock.Conn, 1)
	ended := make(chan sock.Reason, 1)
	ws := sockhttp.NewServer(func(*http.Request) (sockhttp.Accept, error) {
		return sockhttp.Accept{Handler: &lifecycle{opened: opened, ended: ended}}, nil
	}, &sockhttp.Options{ConnOptions: &sock.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}})
	srv := httptest.NewServer(ws)
	b.Cleanup(func() {
		defer srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ws.Shutdown(ctx); err != nil { // waits for every connection's Serve
			b.Errorf("sockhttp Server.Shutdown: %v", err)
		}
	})
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	dialer := &websocket.Dialer{HandshakeTimeout: 10 * time.Second} // no proxy
	// A broken server must fail the benchmark, not hang it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	read := func(client *websocket.Conn, want string) {
		op, p, err := client.ReadMessage()
		if err != nil || op != websocket.TextMessage || string(p) != want {
			b.Fatalf("ReadMessage() = %d, %q, %v; want text %q", op, p, err, want)
		}
	}

	b.ReportAllocs()
	for b.Loop() {
		client, _, err := dialer.Dial(url, nil)
		if err != nil {
			b.Fatalf("Dial: %v", err)
		}
		client.SetReadDeadline(time.Now().Add(10 * time.Second))
		var conn *sock.Conn
		select {
		case conn = <-opened:
		case <-ctx.Done():
			b.Fatalf("Init did not run")
		}
		for range lifecycleTexts {
			if err := client.WriteMessage(websocket.TextMessage, lifecycleText); err != nil {
				b.Fatalf("WriteMessage: %v", err)
			}
			read(client, string(lifecycleText))
		}
		for range lifecycleInfos {
			if err := conn.SendInfo("info"); err != nil {
				b.Fatalf("Send = %v, want nil", err)
			}
			read(client, "info")
		}
		if err := client.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")); err != nil {
			b.Fatalf("writing the close frame: %v", err)
		}
		select {
		case r := <-ended:
			if r.Kind != sock.ReasonRemote || r.Code != sock.CloseNormal {
				b.Fatalf("Terminate(%v), want remote 1000", r)
			}
		case <-ctx.Done():
			b.Fatalf("Terminate did not run")
		}
		// The server's answer completes the closing handshake.
		var ce *websocket.CloseError
		if _, _, err := client.ReadMessage(); !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
			b.Fatalf("ReadMessage() after the close = %v, want the server's close 1000", err)
		}
		client.Close()
	}
}

// benchTB is the [sockt.TB] a benchmark hands to sockt: it is the *testing.B
// for Helper, Errorf and Fatalf, and collects the Cleanup functions so that
// each iteration runs its own test's cleanups, as the end of a test does.
type benchTB struct {
	*testing.B
	cleanups []func()
}

var _ sockt.TB = (*benchTB)(nil)

func (t *benchTB) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }

// cleanup runs the collected cleanups, last registered first, and forgets
// them.
func (t *benchTB) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	clear(t.cleanups)
	t.cleanups = t.cleanups[:0]
}

// BenchmarkSocktEcho measures one whole sockt test of an echo handler in the
// simulator: New, 10 round trips with SendText and ExpectText, and the
// cleanup, which closes the connection and checks Terminate.
func BenchmarkSocktEcho(b *testing.B) {
	const msg = "0123456789abcdef"
	factory := func() sock.Handler { return echo{} }
	t := &benchTB{B: b}
	b.ReportAllocs()
	for b.Loop() {
		c := sockt.New(t, factory, nil)
		for range 10 {
			c.SendText(msg)
			c.ExpectText(msg)
		}
		t.cleanup()
	}
}
