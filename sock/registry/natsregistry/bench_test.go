package natsregistry_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/registry"
	"github.com/sockkit/sockkit/sock/registry/natsregistry"
	"github.com/sockkit/sockkit/sock/registry/natsregistry/natstest"
)

// BenchmarkPublishAcrossNodes publishes on node A to a group of 1,000
// members on A and 1,000 on B, through a NATS server on loopback: one op is
// one message, taken by the HandleInfo of all 2,000. Members are
// sock.Sessions driven by a goroutine per node (no WebSocket): what is
// measured is the registry, the codec and NATS. The publisher waits for
// both nodes every 100 messages, so that no member's queue overflows.
//
//	go test -run '^$' -bench PublishAcrossNodes -cpu 2 ./sock/registry/natsregistry
func BenchmarkPublishAcrossNodes(b *testing.B) {
	const members, window = 1000, 100
	url := natstest.Start(b)
	a, bb := newBenchNode(b, url, members), newBenchNode(b, url, members)
	published := 0
	wait := func() {
		want := int64(published * members)
		deadline := time.Now().Add(10 * time.Second)
		for a.got.Load() < want || bb.got.Load() < want {
			if time.Now().After(deadline) {
				b.Fatalf("after %d messages: node A's members took %d, node B's %d, want %d each (%+v, %+v)",
					published, a.got.Load(), bb.got.Load(), want, a.reg.Stats(), bb.reg.Stats())
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	for b.Loop() {
		if p := a.reg.Publish("all", "message"); p.Queued != members || p.Err != nil {
			b.Fatalf("%+v", p)
		}
		if published++; published%window == 0 {
			wait()
		}
	}
	wait()
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(a.got.Load()+bb.got.Load())/s, "deliveries/s")
	b.ReportMetric(float64(published)/s, "msgs/s")
}

// benchNode is a node of the benchmark: its registry, and its members'
// Sessions, driven by one goroutine.
type benchNode struct {
	reg *registry.Registry
	got atomic.Int64 // infos its members' HandleInfo took

	mu    sync.Mutex
	ready []*sock.Session
	wake  chan struct{}
}

func newBenchNode(b *testing.B, url string, members int) *benchNode {
	cluster, err := natsregistry.New(connect(b, url), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cluster.Close() })
	n := &benchNode{reg: registry.New(&registry.Options{Cluster: cluster}), wake: make(chan struct{}, 1)}
	now := time.Now()
	for range members {
		h := n.reg.Track(counter{&n.got, n.reg}, nil)
		s := sock.NewSession(h, sock.ConnInfo{}, nil)
		s.NotifyInfo(func() {
			n.mu.Lock()
			n.ready = append(n.ready, s)
			n.mu.Unlock()
			select {
			case n.wake <- struct{}{}:
			default:
			}
		})
		s.Open(now)
	}
	done := make(chan struct{})
	b.Cleanup(func() { close(done) })
	go func() {
		var ready []*sock.Session
		for {
			select {
			case <-n.wake:
			case <-done:
				return
			}
			n.mu.Lock()
			ready, n.ready = n.ready, ready[:0]
			n.mu.Unlock()
			for _, s := range ready {
				s.DeliverInfo(now)
			}
		}
	}()
	return n
}

// counter joins the group at Init and counts the infos it takes.
type counter struct {
	n   *atomic.Int64
	reg *registry.Registry
}

func (h counter) Init(c *sock.Conn) sock.Result {
	h.reg.Join("all", c)
	return sock.Continue()
}

func (h counter) HandleIn(*sock.Conn, sock.Frame) sock.Result { return sock.Continue() }

func (h counter) HandleInfo(*sock.Conn, any) sock.Result {
	h.n.Add(1)
	return sock.Continue()
}
