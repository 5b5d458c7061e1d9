package natsregistry

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// watch keeps what this node knows of the bucket up to date, in the
// background, after reading what it holds already.
func (c *Cluster) watch(ctx context.Context, kv jetstream.KeyValue) error {
	w, err := kv.WatchAll(context.Background())
	if err != nil {
		return fmt.Errorf("natsregistry: watching %s: %w", kv.Bucket(), err)
	}
	c.watchers = append(c.watchers, w)
	apply := c.nodeChanged
	if kv == c.names {
		apply = c.nameChanged
	}
	for {
		select {
		case e := <-w.Updates():
			if e == nil { // all it held already
				c.bg.Add(1)
				go c.follow(w, apply)
				return nil
			}
			apply(e)
		case <-ctx.Done():
			return fmt.Errorf("natsregistry: reading %s: %w", kv.Bucket(), ctx.Err())
		}
	}
}

// follow applies a bucket's changes until its watcher stops.
func (c *Cluster) follow(w jetstream.KeyWatcher, apply func(jetstream.KeyValueEntry)) {
	defer c.bg.Done()
	for e := range w.Updates() {
		if e != nil {
			apply(e)
		}
	}
}

// nodeChanged notes a node that came, renewed, left or expired.
func (c *Cluster) nodeChanged(e jetstream.KeyValueEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.Operation() == jetstream.KeyValuePut {
		c.live[e.Key()] = true
	} else {
		delete(c.live, e.Key())
	}
}

// nameChanged notes a name claimed or released. A name of this node's
// claimed by another one was lost: taken over while this node was taken
// for dead.
func (c *Cluster) nameChanged(e jetstream.KeyValueEntry) {
	name, err := untoken(e.Key())
	if err != nil {
		c.opts.OnError(err)
		return
	}
	holder := string(e.Value())
	c.mu.Lock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(c.holders, name)
		c.mu.Unlock()
		return
	}
	c.holders[name] = holder
	lost := holder != c.id && c.held[name] != nil
	if lost {
		delete(c.held, name)
	}
	node := c.node
	c.mu.Unlock()
	if lost && node != nil {
		node.Lost(name)
	}
}
