package natsregistry

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sockkit/sockkit/sock/registry"
)

// claim is a name this node holds: the revision of its key.
type claim struct {
	rev       uint64
	releasing bool // Release was called; the key is being deleted
}

// Claim claims the name across the cluster by creating its key: the first
// node to create it holds it ([registry.ErrNameTaken] for the others) until
// it releases it, or is taken for dead — then the next node to claim the
// name takes it over. It waits for the server, Timeout at most; cut off
// from NATS, it fails.
func (c *Cluster) Claim(name string) error {
	c.mu.Lock()
	if cl := c.held[name]; cl != nil { // released, but not deleted yet: still this node's
		cl.releasing = false
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	rev, err := c.names.Create(ctx, token(name), []byte(c.id))
	if errors.Is(err, jetstream.ErrKeyExists) {
		rev, err = c.takeOver(ctx, name)
	}
	if err != nil {
		if !errors.Is(err, registry.ErrNameTaken) {
			err = fmt.Errorf("natsregistry: claiming %q: %w", name, err)
		}
		return err
	}
	c.mu.Lock()
	c.held[name] = &claim{rev: rev}
	c.holders[name] = c.id
	c.mu.Unlock()
	return nil
}

// takeOver returns the revision of the name's key once this node holds it,
// if its holder is this node — a claim that timed out here but reached the
// server — or a node taken for dead; otherwise ErrNameTaken.
func (c *Cluster) takeOver(ctx context.Context, name string) (uint64, error) {
	e, err := c.names.Get(ctx, token(name))
	if err != nil {
		return 0, err // ErrKeyNotFound too: released as this node claimed it, it may be claimed again
	}
	holder := string(e.Value())
	if holder == c.id {
		return e.Revision(), nil
	}
	// Asked of the bucket, not of this node's copy, which may not have
	// heard of a node that has just come.
	switch _, err := c.nodes.Get(ctx, holder); {
	case err == nil:
		return 0, registry.ErrNameTaken
	case !errors.Is(err, jetstream.ErrKeyNotFound):
		return 0, err
	}
	rev, err := c.names.Update(ctx, token(name), []byte(c.id), e.Revision())
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return 0, registry.ErrNameTaken // another node took it over first
	}
	return rev, err
}

// Release deletes the name's key, in the background: Release does not
// wait. A name released while this node is cut off from NATS stays taken
// until the node is taken for dead.
func (c *Cluster) Release(name string) {
	c.mu.Lock()
	cl := c.held[name]
	if cl == nil {
		c.mu.Unlock()
		return
	}
	cl.releasing = true
	c.bg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.bg.Done()
		c.mu.Lock()
		rev, still := cl.rev, cl.releasing && c.held[name] == cl
		c.mu.Unlock()
		if !still {
			return // claimed again meanwhile
		}
		if err := c.delete(name, rev); err != nil {
			c.opts.OnError(err)
		}
		c.mu.Lock()
		again := !cl.releasing && c.held[name] == cl
		if !again && c.held[name] == cl {
			delete(c.held, name)
		}
		c.mu.Unlock()
		if again { // claimed again as it was deleted
			c.reclaim(name, cl)
		}
	}()
}

// reclaim creates again the key of a name this node holds, deleted by a
// release it took back: unless another node was quicker, in which case
// this node lost the name.
func (c *Cluster) reclaim(name string, cl *claim) {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	rev, err := c.names.Create(ctx, token(name), []byte(c.id))
	c.mu.Lock()
	current := c.held[name] == cl
	switch {
	case current && err == nil:
		cl.rev = rev
	case current && errors.Is(err, jetstream.ErrKeyExists):
		delete(c.held, name)
	}
	c.mu.Unlock()
	switch {
	case current && errors.Is(err, jetstream.ErrKeyExists):
		c.node.Lost(name)
	case err != nil:
		c.opts.OnError(fmt.Errorf("natsregistry: claiming %q again: %w", name, err))
	}
}

// delete deletes the name's key, if it is still at revision rev.
func (c *Cluster) delete(name string, rev uint64) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	if err := c.names.Delete(ctx, token(name), jetstream.LastRevision(rev)); err != nil {
		return fmt.Errorf("natsregistry: releasing %q: %w", name, err)
	}
	return nil
}

// Send sends info to the node that holds the name, as this node last heard
// from the buckets: [registry.ErrNoName] if none does, or its node is taken
// for dead. It does not wait, and does not learn whether the connection
// took the info: a name that has just moved misses it.
func (c *Cluster) Send(name string, info any) error {
	c.mu.Lock()
	id := c.holders[name]
	alive := c.live[id]
	c.mu.Unlock()
	if !alive || id == c.id {
		return registry.ErrNoName
	}
	m, err := c.message(c.opts.Prefix+".node."+id, info)
	if err != nil {
		return err
	}
	m.Header.Set(headerName, name)
	return c.nc.PublishMsg(m)
}

// receiveForName delivers a message another node sent to a name here.
func (c *Cluster) receiveForName(m *nats.Msg) {
	if info, ok := c.decode(m); ok {
		c.node.Send(m.Header.Get(headerName), info) // the registry counts what its policies drop
	}
}
