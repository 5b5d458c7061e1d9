package natsregistry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/sockkit/sockkit/sock/registry"
)

// Options configures a Cluster. A nil *Options means all defaults; every
// node of a cluster must use the same Prefix, Buckets, NodeTTL and Codec.
type Options struct {
	// Prefix starts every subject the cluster uses: Prefix.group.GROUP and
	// Prefix.node.NODE. Tokens of letters, digits, - and _, separated by
	// dots. Default "sockkit".
	Prefix string
	// Buckets names the two JetStream key-value buckets of the cluster,
	// Buckets-names and Buckets-nodes, made (in memory) if need be:
	// letters, digits, - and _. Default "sockkit".
	Buckets string
	// NodeTTL is how long a node may go without renewing its key, which
	// it does every NodeTTL/3, before the others take it for dead: its
	// names may then be claimed by other nodes. Default 15s; 1s at least.
	NodeTTL time.Duration
	// Timeout bounds each wait on NATS: claiming a name, sending to a name
	// this node has not heard of, closing. Default 2s; NodeTTL/3 at most,
	// so that a renewal that times out leaves time for the next.
	Timeout time.Duration
	// Codec turns infos into bytes for the other nodes. Default JSON(),
	// which knows strings and byte slices.
	Codec Codec
	// OnError is told what went wrong in the background: a message from
	// another node that could not be decoded, a name that could not be
	// released, a renewal that failed. Default: logged with slog at Warn.
	OnError func(error)
}

// ErrClosed is what a Cluster's methods return once it is closed: the
// registry works on its own from then on.
var ErrClosed = errors.New("natsregistry: cluster closed")

// Cluster links registries on several nodes through a NATS server: give it
// to [registry.Options].Cluster. Groups are NATS subjects; names and nodes
// are keys of JetStream key-value buckets. See the package documentation
// for what it promises.
type Cluster struct {
	nc    *nats.Conn
	names jetstream.KeyValue // each name held, by the node that holds it
	nodes jetstream.KeyValue // each live node
	opts  Options
	id    string // this node's
	node  registry.Node

	renewing sync.Mutex // held while this node's key is renewed

	mu       sync.Mutex
	closed   bool
	rev      uint64 // of this node's key
	groups   map[string]*subscription
	held     map[string]*claim  // names this node holds, by token
	claiming map[string]int     // tokens of the claims under way
	released map[string]bool    // tokens released while being claimed
	holders  map[string]holding // every name held in the cluster, by token
	live     map[string]bool    // every live node
	toNode   *nats.Subscription

	watching context.CancelFunc // stops the watchers
	stop     chan struct{}
	bg       sync.WaitGroup // the watchers, the renewer, releases
}

// holding is a name's key as this node last heard of it.
type holding struct {
	node string
	rev  uint64
}

// Headers of the messages between nodes.
const (
	headerNode = "Sockkit-Node" // the node that sent it
	headerName = "Sockkit-Name" // for a message to a name: the name
)

// New returns a Cluster on the NATS connection nc, which must reach a
// server with JetStream (2.11 or later) and stay open while the cluster is
// in use. It makes the buckets if need be, announces this node, and reads
// the names already held. Close it when done; nc is the caller's to close.
func New(nc *nats.Conn, opts *Options) (*Cluster, error) {
	c := &Cluster{nc: nc, id: nuid.Next(), groups: map[string]*subscription{}, held: map[string]*claim{},
		claiming: map[string]int{}, released: map[string]bool{}, holders: map[string]holding{}, live: map[string]bool{}, stop: make(chan struct{})}
	if opts != nil {
		c.opts = *opts
	}
	if err := c.defaults(); err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(c.opts.Timeout))
	if err != nil {
		return nil, fmt.Errorf("natsregistry: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	c.names, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: c.opts.Buckets + "-names",
		Description:    "sockkit registry: WebSocket connections' names, by the node that holds each",
		LimitMarkerTTL: c.opts.NodeTTL, // the markers of names given up expire
		Storage:        jetstream.MemoryStorage})
	if err != nil {
		return nil, fmt.Errorf("natsregistry: the names bucket: %w", err)
	}
	c.nodes, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: c.opts.Buckets + "-nodes",
		Description:    "sockkit registry: the live nodes, each renewing its key",
		TTL:            c.opts.NodeTTL,
		LimitMarkerTTL: c.opts.NodeTTL, // the watchers hear of nodes that expired
		Storage:        jetstream.MemoryStorage})
	if err != nil {
		return nil, fmt.Errorf("natsregistry: the nodes bucket: %w", err)
	}
	if c.rev, err = c.nodes.Create(ctx, c.id, nil); err != nil {
		return nil, fmt.Errorf("natsregistry: announcing this node: %w", err)
	}
	watching, stop := context.WithCancel(context.Background())
	c.watching = stop
	for _, kv := range []jetstream.KeyValue{c.nodes, c.names} {
		if err := c.watch(ctx, watching, kv); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// defaults fills in c's options, or says what is wrong with them.
func (c *Cluster) defaults() error {
	o := &c.opts
	if o.Prefix == "" {
		o.Prefix = "sockkit"
	}
	if o.Buckets == "" {
		o.Buckets = "sockkit"
	}
	if o.NodeTTL == 0 {
		o.NodeTTL = 15 * time.Second
	}
	if o.Timeout == 0 {
		o.Timeout = min(2*time.Second, o.NodeTTL/3)
	}
	if o.Codec == nil {
		o.Codec = JSON()
	}
	if o.OnError == nil {
		o.OnError = func(err error) { slog.Warn("natsregistry", "err", err) }
	}
	for _, t := range strings.Split(o.Prefix, ".") {
		if !word(t) {
			return fmt.Errorf("natsregistry: Prefix %q: tokens of letters, digits, - and _, separated by dots", o.Prefix)
		}
	}
	switch {
	case !word(o.Buckets):
		return fmt.Errorf("natsregistry: Buckets %q: letters, digits, - and _", o.Buckets)
	case o.NodeTTL < time.Second:
		return fmt.Errorf("natsregistry: NodeTTL %v: 1s at least", o.NodeTTL)
	case o.Timeout <= 0 || o.Timeout > o.NodeTTL/3:
		return fmt.Errorf("natsregistry: Timeout %v: more than zero, and NodeTTL/3 (%v) at most", o.Timeout, o.NodeTTL/3)
	}
	return nil
}

// word reports whether s is letters, digits, - and _, one at least.
func word(s string) bool { return s != "" && token(s) == s }

// Start is called by [registry.New], once: the cluster delivers to node
// from then on.
func (c *Cluster) Start(node registry.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.node != nil {
		panic("natsregistry: a Cluster serves one registry")
	}
	c.node = node
	sub, err := c.nc.Subscribe(c.opts.Prefix+".node."+c.id, c.receiveForName)
	c.toNode = sub
	c.bg.Add(1)
	go c.renew()
	if err != nil {
		go c.opts.OnError(fmt.Errorf("natsregistry: this node's subject: %w", err)) // not under c.mu
	}
}

// Close tells the other nodes this node is gone, which frees its names,
// and gives up its subscriptions; it waits Timeout at most. The registry
// keeps working on its own: the cluster's methods return [ErrClosed] or do
// nothing.
func (c *Cluster) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.stop)
	var errs []error
	for _, s := range c.groups {
		if s.sub != nil {
			errs = append(errs, s.sub.Unsubscribe())
		}
	}
	c.groups = map[string]*subscription{}
	if c.toNode != nil {
		errs = append(errs, c.toNode.Unsubscribe())
	}
	held := c.held
	c.held = map[string]*claim{}
	c.mu.Unlock()

	if c.nc.IsConnected() {
		// The node's key first: its names are free from then on, whatever
		// becomes of their own deletes.
		ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
		errs = append(errs, c.nodes.Delete(ctx, c.id))
		var mu sync.Mutex
		var wg sync.WaitGroup
		for tok, cl := range held {
			wg.Go(func() {
				err := c.names.Delete(ctx, tok, jetstream.LastRevision(cl.rev))
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			})
		}
		wg.Wait()
		cancel()
	}
	c.watching()
	// Cut off, a watcher's end waits nats.go's own JetStream timeout (5s):
	// its goroutines end by themselves, Close does not wait for them.
	done := make(chan struct{})
	go func() {
		c.bg.Wait()
		close(done)
	}()
	wait := time.NewTimer(c.opts.Timeout)
	defer wait.Stop()
	select {
	case <-done:
	case <-wait.C:
	}
	return errors.Join(errs...)
}

// message returns a message from this node to another.
func (c *Cluster) message(subject string, info any) (*nats.Msg, error) {
	data, err := c.opts.Codec.Marshal(info)
	if err != nil {
		return nil, err
	}
	return &nats.Msg{Subject: subject, Header: nats.Header{headerNode: {c.id}}, Data: data}, nil
}

// decode returns the info a message from another node carries.
func (c *Cluster) decode(m *nats.Msg) (any, bool) {
	info, err := c.opts.Codec.Unmarshal(m.Data)
	if err != nil {
		c.opts.OnError(fmt.Errorf("natsregistry: a message on %s: %w", m.Subject, err))
		return nil, false
	}
	return info, true
}
