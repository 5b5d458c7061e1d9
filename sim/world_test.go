package sim_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
)

// echo pushes every message back.
var echo = sock.HandlerFunc(func(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) })

// broadcaster relays every message to every other member of its group, and
// pushes what others relay to it.
type broadcaster struct {
	group *[]*sock.Conn
	mu    *sync.Mutex
}

func (b broadcaster) Init(c *sock.Conn) sock.Result {
	b.mu.Lock()
	defer b.mu.Unlock()
	*b.group = append(*b.group, c)
	return sock.Continue()
}

func (b broadcaster) HandleIn(c *sock.Conn, msg sock.Frame) sock.Result {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range *b.group {
		if m != c {
			m.SendInfo(string(msg.Payload))
		}
	}
	return sock.Continue()
}

func (b broadcaster) HandleInfo(_ *sock.Conn, info any) sock.Result {
	return sock.Push(sock.Text(info.(string)))
}

// chatter runs three connections that all broadcast at once and returns the
// trace.
func chatter(seed uint64) string {
	w := sim.New(seed)
	var group []*sock.Conn
	var mu sync.Mutex
	b := broadcaster{group: &group, mu: &mu}
	conns := []*sim.Conn{w.Connect(b, nil), w.Connect(b, nil), w.Connect(b, nil)}
	// One client sends while two other connections already have mail
	// waiting: which is delivered first is the scheduler's choice.
	conns[0].Session().Conn().SendInfo("early to c1")
	conns[1].Session().Conn().SendInfo("early to c2")
	conns[2].SendText("from c3")
	w.Advance(time.Second)
	return w.Trace().String()
}

func TestSameSeedSameTrace(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		if a, b := chatter(seed), chatter(seed); a != b {
			t.Errorf("seed %d: two runs differ (-first +second):\n%s", seed, cmp.Diff(a, b))
		}
	}
}

func TestSeedsExploreInterleavings(t *testing.T) {
	traces := map[string]bool{}
	for seed := uint64(1); seed <= 20; seed++ {
		traces[chatter(seed)] = true
	}
	if len(traces) < 2 {
		t.Errorf("20 seeds gave %d distinct traces, want several interleavings", len(traces))
	}
}

// lines returns the trace lines of w that mention one of substrs.
func lines(w *sim.World, substrs ...string) []string {
	var out []string
	for _, l := range w.Trace().Lines() {
		for _, s := range substrs {
			if strings.Contains(l, s) {
				out = append(out, l)
				break
			}
		}
	}
	return out
}

func TestPeerAnswersPingsAndCloses(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(echo, &sock.Options{PingInterval: 10 * time.Second})
	w.Advance(25 * time.Second)
	if got := len(lines(w, "client pong")); got != 2 {
		t.Errorf("peer answered %d keepalive pings in 25s, want 2\n%s", got, w.Trace())
	}
	if c.Terminations() != 0 {
		t.Fatalf("connection ended: %v", c.Reason())
	}
	c.Shutdown()
	if !c.Closed() || c.Reason().Kind != sock.ReasonShutdown {
		t.Errorf("after Shutdown: closed %v, reason %v; want closed by the peer's answer, shutdown", c.Closed(), c.Reason())
	}
}

// The keepalive round trip is on the virtual clock: a pong the peer sends
// 30ms after the ping makes an RTT of 30ms, every run.
func TestKeepaliveRoundTrip(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(echo, &sock.Options{PingInterval: 10 * time.Second})
	c.IgnorePings()
	w.Advance(10 * time.Second) // the ping
	w.Advance(30 * time.Millisecond)
	c.Pong(nil)
	if rtt := c.Session().Conn().RTT(); rtt != 30*time.Millisecond {
		t.Errorf("RTT = %v, want 30ms", rtt)
	}
}

func TestIgnorePingsTimesOut(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(echo, &sock.Options{PingInterval: 10 * time.Second, PongTimeout: 5 * time.Second})
	c.IgnorePings()
	w.Advance(time.Minute)
	r := c.Reason()
	if r.Kind != sock.ReasonTimeout || r.Text != "pong timeout" || !c.Closed() {
		t.Errorf("reason %v, closed %v; want timeout \"pong timeout\", closed", r, c.Closed())
	}
	if at := w.Trace()[len(w.Trace())-2].At; at != 15*time.Second {
		t.Errorf("connection closed at %v, want 15s (ping at 10s + 5s)", at)
	}
}

func TestFaultsEndInExactlyOneTerminate(t *testing.T) {
	for _, tc := range []struct {
		name string
		act  func(w *sim.World, c *sim.Conn)
		kind sock.ReasonKind
		code sock.CloseCode
		err  error
	}{
		{"client close", func(_ *sim.World, c *sim.Conn) { c.Close(4100, "bye") }, sock.ReasonRemote, 4100, nil},
		{"client empty close", func(_ *sim.World, c *sim.Conn) { c.Close(sock.CloseNoStatus, "") }, sock.ReasonRemote, sock.CloseNoStatus, nil},
		{"invalid close code", func(_ *sim.World, c *sim.Conn) { c.Close(1004, "") }, sock.ReasonError, sock.CloseProtocolError, sock.ErrProtocol},
		{"one-byte close", func(_ *sim.World, c *sim.Conn) { c.SendFrame(sock.Frame{Op: sock.OpClose, Payload: []byte{3}}) }, sock.ReasonError, sock.CloseProtocolError, sock.ErrProtocol},
		{"invalid UTF-8", func(_ *sim.World, c *sim.Conn) { c.SendText("\xff") }, sock.ReasonError, sock.CloseInvalidPayload, sock.ErrInvalidUTF8},
		{"invalid UTF-8 across fragments", func(_ *sim.World, c *sim.Conn) {
			c.SendFragmented(sock.OpText, [][]byte{[]byte("\xe2"), []byte("x")})
		}, sock.ReasonError, sock.CloseInvalidPayload, sock.ErrInvalidUTF8},
		{"oversize", func(_ *sim.World, c *sim.Conn) { c.SendBinary(make([]byte, 2048)) }, sock.ReasonError, sock.CloseTooBig, sock.ErrMessageTooBig},
		{"protocol violation", func(_ *sim.World, c *sim.Conn) { c.Violate("RSV2 set") }, sock.ReasonError, sock.CloseProtocolError, sock.ErrProtocol},
		{"reserved opcode", func(_ *sim.World, c *sim.Conn) { c.SendFrame(sock.Frame{Op: 0xB}) }, sock.ReasonError, sock.CloseProtocolError, sock.ErrProtocol},
		{"drop", func(_ *sim.World, c *sim.Conn) { c.Drop() }, sock.ReasonError, sock.CloseAbnormal, sock.ErrConnectionLost},
		{"shutdown", func(_ *sim.World, c *sim.Conn) { c.Shutdown() }, sock.ReasonShutdown, sock.CloseGoingAway, nil},
		{"idle", func(w *sim.World, _ *sim.Conn) { w.Advance(time.Hour) }, sock.ReasonTimeout, sock.CloseGoingAway, nil},
		{"stop reading then flood", func(w *sim.World, c *sim.Conn) {
			c.StopReading()
			c.SetBufferSize(1000)
			c.SendInfo(strings.Repeat("x", 600)) // fits the buffer
			c.SendInfo(strings.Repeat("y", 600)) // blocks the write
			w.Advance(time.Minute)
		}, sock.ReasonError, sock.CloseAbnormal, sock.ErrWriteTimeout},
		{"handler closes, peer never answers", func(w *sim.World, c *sim.Conn) {
			c.IgnoreClose()
			c.SendText("stop")
			w.Advance(time.Minute)
		}, sock.ReasonNormal, sock.CloseNormal, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := sim.New(1)
			c := w.Connect(shouter{}, &sock.Options{MaxMessageSize: 1024})
			tc.act(w, c)
			w.Advance(time.Hour) // whatever handshake is left times out
			r := c.Reason()
			if c.Terminations() != 1 || !c.Closed() {
				t.Fatalf("Terminate ran %d times, transport closed %v; want once and closed\n%s", c.Terminations(), c.Closed(), w.Trace())
			}
			if r.Kind != tc.kind || r.Code != tc.code || (tc.err != nil && !errors.Is(r.Err, tc.err)) {
				t.Errorf("reason = %v, want %v %d wrapping %v", r, tc.kind, tc.code, tc.err)
			}
			closes := lines(w, "server close")
			if tc.code == sock.CloseAbnormal && len(closes) != 0 || tc.code != sock.CloseAbnormal && len(closes) != 1 {
				t.Errorf("server close frames: %q", closes)
			}
		})
	}
}

// shouter pushes infos as text and stops on "stop".
type shouter struct{}

func (shouter) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result {
	if string(msg.Payload) == "stop" {
		return sock.Stop()
	}
	return sock.Push(msg)
}

func (shouter) HandleInfo(_ *sock.Conn, info any) sock.Result {
	return sock.Push(sock.Text(info.(string)))
}

func TestResumeReadingBeforeWriteTimeout(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(shouter{}, &sock.Options{WriteTimeout: 10 * time.Second})
	c.StopReading()
	c.SetBufferSize(10)
	c.SendInfo("first")
	c.SendInfo("second, too big for the buffer")
	c.SendText("sent while the server is stuck")
	if got := lines(w, "call HandleIn text"); len(got) != 0 {
		t.Errorf("the server read while stuck in a write: %q", got)
	}
	w.Advance(5 * time.Second)
	c.ResumeReading()
	var got []string
	for f, ok := c.Read(); ok; f, ok = c.Read() {
		got = append(got, string(f.Payload))
	}
	want := []string{"first", "second, too big for the buffer", "sent while the server is stuck"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("frames read (-want +got):\n%s", diff)
	}
	w.Advance(30 * time.Second)
	if c.Terminations() != 0 {
		t.Errorf("connection ended: %v", c.Reason())
	}
}

func TestSendAfterTerminate(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(shouter{}, nil)
	if err := c.SendInfo("hi"); err != nil {
		t.Fatal(err)
	}
	c.Drop()
	if err := c.SendInfo("late"); !errors.Is(err, sock.ErrClosed) {
		t.Errorf("Send after terminate = %v, want ErrClosed", err)
	}
	c.SendText("late") // goes nowhere, and says so
	if got := lines(w, "ignored: connection closed"); len(got) != 1 {
		t.Errorf("trace lines about the ignored send: %q", got)
	}
}

func TestTimersFireOnVirtualTime(t *testing.T) {
	w := sim.New(1)
	h := &timers{}
	c := w.Connect(h, nil)
	w.Advance(2500 * time.Millisecond)
	var got []string
	for f, ok := c.Read(); ok; f, ok = c.Read() {
		got = append(got, string(f.Payload))
	}
	if diff := cmp.Diff([]string{"a at 1s", "b at 1s", "c at 2s"}, got); diff != "" {
		t.Errorf("timer pushes (-want +got):\n%s", diff)
	}
	if w.Now() != sim.Epoch.Add(2500*time.Millisecond) {
		t.Errorf("Now() = %v, want Epoch+2.5s", w.Now())
	}
}

// timers sets three timers and cancels a fourth.
type timers struct{}

func (h *timers) Init(c *sock.Conn) sock.Result {
	c.After(2*time.Second, "c")
	c.After(time.Second, "a")
	c.After(time.Second, "b")
	c.After(time.Second, "cancelled").Stop()
	return sock.Continue()
}

func (h *timers) HandleIn(*sock.Conn, sock.Frame) sock.Result { return sock.Continue() }

func (h *timers) HandleInfo(c *sock.Conn, info any) sock.Result {
	return sock.Push(sock.Text(info.(string) + " at " + c.Now().Sub(sim.Epoch).String()))
}

func TestWorldShutdown(t *testing.T) {
	w := sim.New(1)
	conns := []*sim.Conn{w.Connect(echo, nil), w.Connect(echo, nil)}
	w.Shutdown()
	for _, c := range conns {
		if c.Reason().Kind != sock.ReasonShutdown || !c.Closed() || c.Terminations() != 1 {
			t.Errorf("c%d: reason %v closed %v terminations %d", c.ID(), c.Reason(), c.Closed(), c.Terminations())
		}
	}
	if got := slices.Collect(func(yield func(uint64) bool) {
		for _, c := range w.Conns() {
			if !yield(c.ID()) {
				return
			}
		}
	}); !slices.Equal(got, []uint64{1, 2}) {
		t.Errorf("Conns IDs = %v", got)
	}
}

// watcher pushes what HandleControl sees.
type watcher struct{}

func (watcher) HandleIn(*sock.Conn, sock.Frame) sock.Result { return sock.Continue() }

func (watcher) HandleControl(_ *sock.Conn, f sock.Frame) sock.Result {
	return sock.Push(sock.Text("saw " + f.String()))
}

func TestPeerPingAndUnsolicitedPong(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(watcher{}, nil)
	c.Ping([]byte("a"))
	c.Pong([]byte("b"))
	var got []string
	for f, ok := c.Read(); ok; f, ok = c.Read() {
		got = append(got, f.String())
	}
	want := []string{"pong 61", `text "saw ping 61"`, `text "saw pong 62"`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("frames read (-want +got):\n%s", diff)
	}
}

func TestMailWaitsForABlockedWrite(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(shouter{}, nil)
	c.StopReading()
	c.SetBufferSize(10)
	c.SendText(strings.Repeat("x", 100)) // the echo blocks the server's loop
	c.SendInfo("one")
	c.Shutdown()
	if got := lines(w, "call HandleInfo"); len(got) != 0 {
		t.Errorf("mail delivered while the loop is stuck in a write: %q", got)
	}
	if c.Terminations() != 0 {
		t.Errorf("shutdown ran while the loop is stuck in a write: %v", c.Reason())
	}
	c.ResumeReading()
	if got := lines(w, "call HandleInfo"); len(got) != 1 {
		t.Errorf("after the write: HandleInfo calls %q, want the one mail", got)
	}
	if c.Reason().Kind != sock.ReasonShutdown {
		t.Errorf("reason = %v, want shutdown once the loop is free", c.Reason())
	}
	if err := c.SendInfo("two"); !errors.Is(err, sock.ErrClosed) {
		t.Errorf("Send after the shutdown = %v, want ErrClosed", err)
	}
}

func TestUntracedWorldBehavesTheSame(t *testing.T) {
	run := func(w *sim.World) (sock.Reason, []string) {
		c := w.Connect(shouter{}, nil)
		c.SendText("hi")
		c.SendInfo("info")
		c.SendText("stop")
		var got []string
		for f, ok := c.Read(); ok; f, ok = c.Read() {
			got = append(got, f.String())
		}
		if c.Terminations() != 1 || !c.Closed() {
			t.Errorf("Terminations() = %d, Closed() = %v; want 1, true", c.Terminations(), c.Closed())
		}
		return c.Reason(), got
	}
	traced, untraced := sim.New(1), sim.NewUntraced(1)
	r1, frames1 := run(traced)
	r2, frames2 := run(untraced)
	if diff := cmp.Diff(frames1, frames2); diff != "" || r1.String() != r2.String() {
		t.Errorf("untraced run differs: frames (-traced +untraced):\n%s\nreasons %v, %v", diff, r1, r2)
	}
	if n := len(untraced.Trace()); n != 0 {
		t.Errorf("untraced world recorded %d events", n)
	}
}

func TestTraceFrom(t *testing.T) {
	w := sim.New(1)
	c := w.Connect(echo, nil)
	for range 100 { // over several chunks
		c.SendText("x")
	}
	all := w.Trace()
	for _, n := range []int{0, 1, 31, 32, 33, 95, 96, len(all) - 1, len(all), len(all) + 5} {
		want := all[min(n, len(all)):]
		if got := w.TraceFrom(n); got.String() != want.String() {
			t.Errorf("TraceFrom(%d) has %d events, want %d", n, len(got), len(want))
		}
	}
}
