package sim_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
)

// The simulator's benchmarks count one event per frame the client sends:
//
//	go test -run '^$' -bench Sim -benchmem ./sim
//
// A World records every step in its Trace, which never shrinks: one echo
// round trip adds four events (client, call, return, server), each with text
// formatted by fmt. BenchmarkSimEcho keeps one World for all b.N iterations,
// so its trace and the frames it retains grow with b.N; BenchmarkSimLifecycle
// starts a fresh World every iteration and is the figure for short
// simulations such as unit tests.

// benchEcho is the 16-byte text message the client sends, made once as a
// transport reusing its read buffer would.
var benchEcho = sock.Frame{Op: sock.OpText, Payload: []byte("0123456789abcdef")}

// roundTrip sends benchEcho on c and reads the echo.
func roundTrip(b *testing.B, c *sim.Conn) {
	c.SendFrame(benchEcho)
	f, ok := c.Read()
	if !ok || f.Op != sock.OpText || len(f.Payload) != len(benchEcho.Payload) {
		b.Fatalf("Read() = %v, %v; want the echo %v", f, ok, benchEcho)
	}
}

// BenchmarkSimEcho measures the simulator's throughput on one long-lived
// connection to an echo handler: each iteration the client sends one 16-byte
// text message and reads the echo.
func BenchmarkSimEcho(b *testing.B) {
	for _, world := range worlds {
		b.Run(world.name, func(b *testing.B) { benchmarkSimEcho(b, world.new(1)) })
	}
}

// worlds are the two kinds of World: traced, as tests use it, and untraced,
// as a fuzzer would.
var worlds = []struct {
	name string
	new  func(seed uint64) *sim.World
}{{"trace=on", sim.New}, {"trace=off", sim.NewUntraced}}

func benchmarkSimEcho(b *testing.B, w *sim.World) {
	c := w.Connect(echo, nil)
	roundTrip(b, c) // warm up
	before := len(w.Trace())
	b.ReportAllocs()
	for b.Loop() {
		roundTrip(b, c)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(len(w.Trace())-before)/float64(b.N), "trace-events/op")
	if c.Closed() {
		b.Fatalf("connection closed: %v", c.Reason())
	}
}

// BenchmarkSimLifecycle runs one whole simulation per iteration: a new
// World, connect, n echo round trips, the client's close (the peer reads the
// server's answer). Its events are the n messages and the close.
func BenchmarkSimLifecycle(b *testing.B) {
	for _, bc := range []struct {
		name string
		n    int
	}{{"msgs=1", 1}, {"msgs=10", 10}, {"msgs=100", 100}} {
		for _, world := range worlds {
			b.Run(bc.name+"/"+world.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					c := world.new(1).Connect(echo, nil)
					for range bc.n {
						roundTrip(b, c)
					}
					c.Close(sock.CloseNormal, "")
					if !c.Closed() || c.Terminations() != 1 {
						b.Fatalf("after the client's close: Closed() = %v, Terminations() = %d; want true, 1",
							c.Closed(), c.Terminations())
					}
				}
				b.ReportMetric(float64(b.N*(bc.n+1))/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// BenchmarkSimFanOut measures a broadcast in a world of many connections:
// each iteration one member's message reaches every other member as an
// info, which each pushes. One op is one broadcast; deliveries/s counts
// the infos handled. A world that looked at every connection at every turn
// was quadratic in the members.
func BenchmarkSimFanOut(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			w := sim.New(1)
			var group []*sock.Conn
			var mu sync.Mutex
			h := broadcaster{group: &group, mu: &mu}
			opts := &sock.Options{IdleTimeout: -1}
			conns := make([]*sim.Conn, n)
			for i := range conns {
				conns[i] = w.Connect(h, opts)
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				conns[i%n].SendText("news")
			}
			b.ReportMetric(float64(b.N*(n-1))/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}
