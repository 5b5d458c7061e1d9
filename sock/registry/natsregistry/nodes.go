package natsregistry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sockkit/sockkit/sock/registry"
)

// renew renews this node's key every NodeTTL/3 until Close, and as soon as
// the NATS connection is back after a cut, so that the others know it is
// alive; and deletes the keys of names it no longer holds. While the node
// is cut off from NATS it waits.
func (c *Cluster) renew() {
	defer c.bg.Done()
	tick := time.NewTicker(c.opts.NodeTTL / 3)
	defer tick.Stop()
	back := c.nc.StatusChanged(nats.CONNECTED)
	defer c.nc.RemoveStatusListener(back)
	failing := false // reported once, not at every tick
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
		case <-back:
		}
		if !c.nc.IsConnected() {
			continue
		}
		err := c.renewOnce()
		if err != nil && !failing {
			c.opts.OnError(fmt.Errorf("natsregistry: renewing this node: %w", err))
		}
		failing = err != nil
		c.deleteOrphans()
	}
}

// renewOnce updates this node's key, or makes it again if it expired; then
// the node was taken for dead, and the keys of its names may have been
// deleted: they are claimed again, or lost if another node has them now.
func (c *Cluster) renewOnce() error {
	c.renewing.Lock() // the renewer, and a Claim that found this node dead
	defer c.renewing.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	c.mu.Lock()
	rev := c.rev
	c.mu.Unlock()
	next, err := c.nodes.Update(ctx, c.id, nil, rev)
	died := errors.Is(err, jetstream.ErrKeyRevisionMismatch)
	if died {
		next, err = c.nodes.Create(ctx, c.id, nil)
	}
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.rev = next
	c.live[c.id] = true // without waiting for the watcher: Claim asks
	c.mu.Unlock()
	if died {
		c.reclaim(ctx)
	}
	return nil
}

// reclaim writes back the keys of the names this node holds, after it was
// taken for dead: each is its own again, or lost to the node that took it.
func (c *Cluster) reclaim(ctx context.Context) {
	c.mu.Lock()
	held := make(map[string]*claim, len(c.held))
	for tok, cl := range c.held {
		if !cl.releasing {
			held[tok] = cl
		}
	}
	c.mu.Unlock()
	for tok, cl := range held {
		rev, err := c.create(ctx, tok)
		c.mu.Lock()
		current := c.held[tok] == cl
		lost := current && errors.Is(err, registry.ErrNameTaken)
		switch {
		case lost:
			delete(c.held, tok)
		case current && err == nil:
			cl.rev = rev
		}
		node := c.node
		c.mu.Unlock()
		switch {
		case lost:
			node.Lost(cl.name)
		case err != nil && current:
			c.opts.OnError(fmt.Errorf("natsregistry: claiming %q again: %w", cl.name, err))
		}
	}
}

// deleteOrphans deletes the keys that name this node for names it does not
// hold: a claim that timed out here but reached the server, a release
// whose delete was lost with the connection. Each is deleted at the
// revision this node last heard of, so a claim racing with it wins.
func (c *Cluster) deleteOrphans() {
	c.mu.Lock()
	orphans := map[string]uint64{}
	for tok, h := range c.holders {
		if h.node == c.id && c.held[tok] == nil && c.claiming[tok] == 0 {
			orphans[tok] = h.rev
		}
	}
	c.mu.Unlock()
	for tok, rev := range orphans {
		c.delete(tok, rev) // failing if it changed meanwhile
	}
}
