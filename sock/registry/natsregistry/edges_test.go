package natsregistry_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sockkit/sockkit/sock/registry"
	"github.com/sockkit/sockkit/sock/registry/natsregistry"
	"github.com/sockkit/sockkit/sock/registry/natsregistry/natstest"
)

// fakeNode is a registry as a Cluster sees it, recording what it is told.
type fakeNode struct {
	mu        sync.Mutex
	lost      []string
	published []string
}

func (f *fakeNode) Publish(group string, info any) registry.Published {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.published = append(f.published, fmt.Sprint(info))
	return registry.Published{Queued: 1}
}

func (f *fakeNode) Send(string, any) error { return nil }

func (f *fakeNode) Lost(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lost = append(f.lost, name)
}

// bare returns a Cluster on its own NATS connection, started with a
// fakeNode.
func bare(t *testing.T, url string, o *natsregistry.Options) (*natsregistry.Cluster, *fakeNode, *nats.Conn) {
	t.Helper()
	nc := connect(t, url)
	if o == nil {
		o = &natsregistry.Options{}
	}
	o.OnError = func(err error) { t.Log(err) }
	c, err := natsregistry.New(nc, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	f := &fakeNode{}
	c.Start(f)
	return c, f, nc
}

func waitConnected(t *testing.T, nc *nats.Conn, want bool) {
	t.Helper()
	eventually(t, fmt.Sprintf("connected %v", want), func() error {
		if nc.IsConnected() != want {
			return errors.New("not yet")
		}
		return nil
	})
}

// Names and groups of any length work: a long one is hashed, not sent as
// a subject the server refuses (which would close the connection).
func TestLongNamesAndGroups(t *testing.T) {
	url := natstest.Start(t)
	a, _, nc := bare(t, url, nil)
	b, fb, nb := bare(t, url, nil)
	long := strings.Repeat("!", 1500)
	b.Join(long)
	nb.Flush()
	if err := a.Publish(long, "hello"); err != nil {
		t.Fatal(err)
	}
	if err := a.Claim(long); err != nil {
		t.Fatalf("claiming a long name: %v", err)
	}
	if err := b.Claim(long); !errors.Is(err, registry.ErrNameTaken) {
		t.Errorf("the long name claimed on both nodes: %v", err)
	}
	eventually(t, "the message to the long group", func() error {
		fb.mu.Lock()
		defer fb.mu.Unlock()
		if len(fb.published) == 0 {
			return errors.New("not yet")
		}
		return nil
	})
	if !nc.IsConnected() || !nb.IsConnected() {
		t.Errorf("connections: %v, %v", nc.Status(), nb.Status())
	}
}

// A claim that timed out while cut off, but reached the server once the
// node was back, does not keep the name from the others.
func TestClaimLostInTheCutIsUndone(t *testing.T) {
	url := natstest.Start(t)
	p := natstest.NewProxy(t, url)
	opts := natsregistry.Options{NodeTTL: time.Second, Timeout: 300 * time.Millisecond}
	a, _, nc := bare(t, p.URL(), &opts)
	b, _, _ := bare(t, url, &natsregistry.Options{NodeTTL: time.Second, Timeout: 300 * time.Millisecond})
	p.Cut()
	waitConnected(t, nc, false)
	if err := a.Claim("dee"); err == nil || errors.Is(err, registry.ErrNameTaken) {
		t.Fatalf("claim while cut off: %v, want the cluster's error", err)
	}
	p.Restore()
	waitConnected(t, nc, true)
	eventually(t, "dee free for node b", func() error { return b.Claim("dee") })
}

// A name released and at once claimed again on the same node (a user
// reconnecting) while another node claims it too goes to one of them,
// never both, and the one that keeps it is not told it lost it.
func TestReleaseAndClaimAgainRace(t *testing.T) {
	url := natstest.Start(t)
	a, fa, _ := bare(t, url, nil)
	b, _, _ := bare(t, url, nil)
	both := 0
	for i := range 100 {
		name := fmt.Sprint("x", i)
		if err := a.Claim(name); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var okB atomic.Bool
		for range 8 {
			wg.Go(func() {
				for deadline := time.Now().Add(10 * time.Millisecond); time.Now().Before(deadline) && !okB.Load(); {
					if b.Claim(name) == nil {
						okB.Store(true)
					}
				}
			})
		}
		a.Release(name)
		errA := a.Claim(name)
		wg.Wait()
		if errA == nil && okB.Load() {
			both++
		}
	}
	time.Sleep(200 * time.Millisecond) // the watchers catch up
	fa.mu.Lock()
	defer fa.mu.Unlock()
	if both > 0 || len(fa.lost) > 0 {
		t.Errorf("%d of 100 names held by both nodes; node a told NameLost %d times, never cut off", both, len(fa.lost))
	}
}

// Send reaches a name claimed on another node at once, before this node's
// watcher has heard of it.
func TestSendRightAfterClaim(t *testing.T) {
	url := natstest.Start(t)
	a, _, _ := bare(t, url, nil)
	b, _, _ := bare(t, url, nil)
	for i := range 100 {
		name := fmt.Sprint("n", i)
		if err := b.Claim(name); err != nil {
			t.Fatal(err)
		}
		if err := a.Send(name, "hi"); err != nil {
			t.Fatalf("Send to %s, just claimed on node b: %v", name, err)
		}
	}
	if err := a.Send("nobody", "hi"); !errors.Is(err, registry.ErrNoName) {
		t.Errorf("Send to a name no node holds: %v", err)
	}
}

// After Close a cluster does nothing and says so; its names are free at
// once; closing twice, or at once from two goroutines, is fine.
func TestClose(t *testing.T) {
	url := natstest.Start(t)
	a, _, _ := bare(t, url, nil)
	b, _, _ := bare(t, url, nil)
	if err := a.Claim("zed"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { a.Close() })
	}
	wg.Wait()
	for _, err := range []error{a.Claim("ada"), a.Publish("g", "x"), a.Send("zed", "x")} {
		if !errors.Is(err, natsregistry.ErrClosed) {
			t.Errorf("after Close: %v, want ErrClosed", err)
		}
	}
	if err := b.Claim("zed"); err != nil {
		t.Errorf("a name of a closed node: %v", err)
	}
}

// Close, cut off from NATS, waits Timeout or so, not Timeout per name or
// JetStream's own timeouts.
func TestCloseWhileCutOff(t *testing.T) {
	url := natstest.Start(t)
	p := natstest.NewProxy(t, url)
	a, _, nc := bare(t, p.URL(), &natsregistry.Options{Timeout: 200 * time.Millisecond})
	for i := range 20 {
		if err := a.Claim(fmt.Sprint("n", i)); err != nil {
			t.Fatal(err)
		}
	}
	p.Cut()
	waitConnected(t, nc, false)
	start := time.Now()
	a.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v, cut off with 20 names and a Timeout of 200ms", d)
	}
}

// Options that would make bad subjects or a cluster that cannot renew are
// refused by New.
func TestOptionsChecked(t *testing.T) {
	url := natstest.Start(t)
	nc := connect(t, url)
	for _, o := range []natsregistry.Options{
		{Prefix: "chat.*"}, {Prefix: "a..b"}, {Prefix: "has space"}, {Buckets: "a.b"},
		{NodeTTL: 500 * time.Millisecond}, {NodeTTL: 3 * time.Second, Timeout: 2 * time.Second}, {Timeout: -1},
	} {
		if c, err := natsregistry.New(nc, &o); err == nil {
			c.Close()
			t.Errorf("New(%+v): no error", o)
		}
	}
}

// fast are the options of a cluster whose nodes are taken for dead after
// a second.
func fast() *natsregistry.Options {
	return &natsregistry.Options{NodeTTL: time.Second, Timeout: 300 * time.Millisecond}
}

// Back from a cut long enough to be taken for dead, a node that no other
// node took a name from keeps its names: their keys, deleted meanwhile,
// are written again, and Send reaches them.
func TestNamesKeptAfterBeingTakenForDead(t *testing.T) {
	url := natstest.Start(t)
	p := natstest.NewProxy(t, url)
	a, fa, nc := bare(t, p.URL(), fast())
	b, _, _ := bare(t, url, fast())
	if err := a.Claim("ada"); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	waitConnected(t, nc, false)
	time.Sleep(2 * time.Second) // a's key expires; b deletes its names
	p.Restore()
	waitConnected(t, nc, true)
	eventually(t, "Send to ada, on node a, back", func() error { return b.Send("ada", "hi") })
	if err := b.Claim("ada"); !errors.Is(err, registry.ErrNameTaken) {
		t.Errorf("node b's claim of ada, held on node a: %v", err)
	}
	fa.mu.Lock()
	defer fa.mu.Unlock()
	if len(fa.lost) > 0 {
		t.Errorf("node a told it lost %v", fa.lost)
	}
}

// A name claimed the moment a node is back from a long cut, before its
// renewer noticed it was taken for dead, is not taken over.
func TestClaimRightAfterReturn(t *testing.T) {
	url := natstest.Start(t)
	p := natstest.NewProxy(t, url)
	a, _, nc := bare(t, p.URL(), fast())
	b, _, _ := bare(t, url, fast())
	p.Cut()
	waitConnected(t, nc, false)
	time.Sleep(1500 * time.Millisecond)
	p.Restore()
	waitConnected(t, nc, true)
	if err := a.Claim("zed"); err != nil {
		t.Fatal(err)
	}
	if err := b.Claim("zed"); !errors.Is(err, registry.ErrNameTaken) {
		t.Errorf("node b's claim of zed, claimed by node a a moment before: %v", err)
	}
}

// Claims under way as the cluster closes, and names given up as they are
// claimed, leave no key behind.
func TestNoKeyLeftBehind(t *testing.T) {
	url := natstest.Start(t)
	a, _, nc := bare(t, url, nil)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { a.Claim(fmt.Sprint("n", i)) })
	}
	for i := range 20 {
		wg.Go(func() {
			name := fmt.Sprint("r", i)
			go a.Release(name) // as it is claimed
			a.Claim(name)
			a.Release(name)
		})
	}
	time.Sleep(time.Millisecond)
	a.Close()
	wg.Wait()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	names, err := js.KeyValue(t.Context(), "sockkit-names")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "no key left", func() error {
		keys, err := names.ListKeys(t.Context())
		if err != nil {
			return err
		}
		var left []string
		for k := range keys.Keys() {
			left = append(left, k)
		}
		if len(left) > 0 {
			return fmt.Errorf("%d keys left: %v", len(left), left)
		}
		return nil
	})
}

// Names given up leave nothing in the bucket once NodeTTL has passed: a
// chat of guests does not grow it for ever.
func TestReleasedNamesLeaveNothing(t *testing.T) {
	url := natstest.Start(t)
	a, _, nc := bare(t, url, fast())
	for i := range 500 {
		name := fmt.Sprint("guest", i)
		if err := a.Claim(name); err != nil {
			t.Fatal(err)
		}
		a.Release(name)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(t.Context(), "KV_sockkit-names")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "an empty names bucket", func() error {
		info, err := stream.Info(t.Context())
		if err != nil {
			return err
		}
		if n := info.State.Msgs; n > 0 {
			return fmt.Errorf("%d messages", n)
		}
		return nil
	})
}
