package registry_test

import (
	"testing"
	"time"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/registry"
)

// BenchmarkPublish publishes to a group of 10,000 members, each a
// sock.Session driven in the benchmark's goroutine as Serve would drive it
// (no socket), and has every member's HandleInfo take the message: one op
// is one message to all of them.
//
//	go test -run '^$' -bench Publish -cpu 1 ./sock/registry
func BenchmarkPublish(b *testing.B) {
	reg := registry.New(nil)
	const members = 10000
	sessions := make([]*sock.Session, members)
	var ready []*sock.Session
	now := time.Now()
	got := 0
	for i := range sessions {
		h := reg.Track(initFunc(func(c *sock.Conn) { reg.Join("all", c) }), nil)
		s := sock.NewSession(countInfos{&got, h}, sock.ConnInfo{}, nil)
		s.NotifyInfo(func() { ready = append(ready, s) }) // one goroutine: no lock needed
		s.Open(now)
		sessions[i] = s
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if p := reg.Publish("all", i); p.Queued != members {
			b.Fatalf("%+v", p)
		}
		for _, s := range ready {
			s.DeliverInfo(now)
		}
		ready = ready[:0]
	}
	if got != b.N*members {
		b.Fatalf("HandleInfo ran %d times, want %d", got, b.N*members)
	}
	b.ReportMetric(float64(got)/b.Elapsed().Seconds(), "deliveries/s")
}

// countInfos counts the infos its handler takes.
type countInfos struct {
	n *int
	sock.Handler
}

func (h countInfos) Init(c *sock.Conn) sock.Result { return h.Handler.(sock.InitHandler).Init(c) }
func (h countInfos) HandleInfo(c *sock.Conn, info any) sock.Result {
	*h.n++
	return h.Handler.(sock.InfoHandler).HandleInfo(c, info)
}
