package sockhttp_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/sockkit/sockkit/sock/sockhttp"
)

// sendMost connects a raw client to url and sends most of a binary
// message of size bytes: sent of them, then nothing more.
func sendMost(tb testing.TB, url string, size, sent int) *rawConn {
	c := dialRaw(tb, url)
	frame := c.frame(rawHeader{fin: true, opcode: 2, masked: true}, make([]byte, size))
	c.writeRaw(frame[:len(frame)-(size-sent)])
	return c
}

// Clients that each send most of a large message and stall cannot hold
// more than the server's MemoryBudget: those past it are closed with 1013.
func TestMemoryBudget(t *testing.T) {
	srv, _ := serve(t, newProbe(nil), &sockhttp.Options{MemoryBudget: 2 << 20})
	const conns, size, sent = 16, 512 << 10, 400 << 10
	var clients []*rawConn
	for range conns {
		clients = append(clients, sendMost(t, srv.URL, size, sent))
	}
	// Each holds a buffer of 512 KiB, 448 KiB of it past the free 64 KiB:
	// four fit in 2 MiB (three, if a fifth took part of the room first).
	busy := 0
	for _, c := range clients {
		c.nc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		if f, err := c.read(); err == nil && f.closeCode() == 1013 {
			busy++
		}
	}
	if held := conns - busy; held < 3 || held > 4 {
		t.Errorf("%d of %d connections closed with 1013; %d hold their message, want 3 or 4", busy, conns, held)
	}
}

// BenchmarkUnfinishedMessages measures the heap that 300 clients pin, each
// having sent 900 KiB of a 1 MiB message, with the default budget (256
// MiB), a smaller one, and none; it reports the heap in use once the
// server has read what they sent.
//
//	go test -run '^$' -bench UnfinishedMessages -benchtime 1x ./sock/sockhttp
func BenchmarkUnfinishedMessages(b *testing.B) {
	for _, budget := range []int64{-1, 0, 32 << 20} {
		b.Run(fmt.Sprintf("budget=%d", budget), func(b *testing.B) {
			for b.Loop() {
				srv, _ := serve(b, newProbe(nil), &sockhttp.Options{MemoryBudget: budget})
				var clients []*rawConn
				for range 300 {
					clients = append(clients, sendMost(b, srv.URL, 1<<20, 900<<10))
				}
				time.Sleep(time.Second) // the server reads what came
				runtime.GC()
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				b.ReportMetric(float64(m.HeapInuse)/(1<<20), "MiB-heap")
				for _, c := range clients {
					c.nc.Close()
				}
				srv.Close()
			}
		})
	}
}
