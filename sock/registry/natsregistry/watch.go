package natsregistry

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// watch keeps what this node knows of the bucket up to date, in the
// background until watching ends, after reading what it holds already
// (within ctx).
func (c *Cluster) watch(ctx, watching context.Context, kv jetstream.KeyValue) error {
	w, err := kv.WatchAll(watching)
	if err != nil {
		return fmt.Errorf("natsregistry: watching %s: %w", kv.Bucket(), err)
	}
	apply := c.nodeChanged
	if kv == c.names {
		apply = c.nameChanged
	}
	for {
		select {
		case e := <-w.Updates():
			if e == nil { // all it held already
				c.bg.Go(func() { c.follow(w, apply) })
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
	for e := range w.Updates() {
		if e != nil {
			apply(e)
		}
	}
}

// nodeChanged notes a node that came, renewed, left or expired. The names
// of a node that left or expired are deleted, by the live node with the
// lowest ID, so that the bucket does not keep the names of dead nodes.
func (c *Cluster) nodeChanged(e jetstream.KeyValueEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.Operation() == jetstream.KeyValuePut {
		c.live[e.Key()] = true
		return
	}
	delete(c.live, e.Key())
	for id := range c.live {
		if id < c.id {
			return // that one cleans up
		}
	}
	for tok, h := range c.holders {
		if h.node == e.Key() {
			c.bg.Go(func() { c.delete(tok, h.rev) }) // failing if the name was taken over meanwhile
		}
	}
}

// nameChanged notes a name claimed or released. A name of this node's
// written since by another node was lost: taken over while this node was
// taken for dead.
func (c *Cluster) nameChanged(e jetstream.KeyValueEntry) {
	tok := e.Key()
	c.mu.Lock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(c.holders, tok)
		c.mu.Unlock()
		return
	}
	holder := string(e.Value())
	c.holders[tok] = holding{holder, e.Revision()}
	cl := c.held[tok]
	lost := cl != nil && !cl.releasing && holder != c.id && e.Revision() > cl.rev
	if lost {
		delete(c.held, tok)
	}
	node := c.node
	c.mu.Unlock()
	if lost && node != nil {
		node.Lost(cl.name)
	}
}
