package natsregistry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// renew renews this node's key every NodeTTL/3 until Close, so that the
// others know it is alive, and deletes the keys of names it no longer
// holds. While the node is cut off from NATS it waits.
func (c *Cluster) renew() {
	defer c.bg.Done()
	tick := time.NewTicker(c.opts.NodeTTL / 3)
	defer tick.Stop()
	failing := false // reported once, not at every tick
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
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

// renewOnce updates this node's key, or makes it again if it expired.
func (c *Cluster) renewOnce() error {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	c.mu.Lock()
	rev := c.rev
	c.mu.Unlock()
	next, err := c.nodes.Update(ctx, c.id, nil, rev)
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) { // taken for dead meanwhile
		next, err = c.nodes.Create(ctx, c.id, nil)
	}
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.rev = next
	c.mu.Unlock()
	return nil
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
