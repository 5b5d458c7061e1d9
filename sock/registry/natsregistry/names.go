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
	name      string
	rev       uint64
	releasing bool // Release was called; the key is being deleted
}

// Claim claims the name across the cluster by creating its key: the first
// node to create it holds it ([registry.ErrNameTaken] for the others) until
// it releases it, or is taken for dead — then the next node to claim the
// name takes it over. It waits for the server, Timeout at most; cut off
// from NATS, it fails.
func (c *Cluster) Claim(name string) error {
	tok := token(name)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.claiming[tok]++ // a put of this node's seen meanwhile is not an orphan
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		if c.claiming[tok]--; c.claiming[tok] == 0 {
			delete(c.claiming, tok)
		}
		c.mu.Unlock()
	}()

	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	// This node's key first, asked of the bucket: back from a long cut,
	// before the renewer noticed, the node is taken for dead, and a name it
	// claimed would be taken over at once.
	_, err := c.nodes.Get(ctx, c.id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		err = c.renewOnce()
	}
	if err != nil {
		return fmt.Errorf("natsregistry: claiming %q: this node's key: %w", name, err)
	}
	rev, err := c.create(ctx, tok)
	if err != nil {
		if !errors.Is(err, registry.ErrNameTaken) {
			err = fmt.Errorf("natsregistry: claiming %q: %w", name, err)
		}
		return err
	}
	c.mu.Lock()
	h, seen := c.holders[tok]
	switch {
	case c.closed, c.released[tok]: // given up while it was being claimed
		delete(c.released, tok)
		c.mu.Unlock()
		c.delete(tok, rev)
		if c.closed {
			return ErrClosed
		}
		return nil
	case seen && h.node != c.id && h.rev > rev: // taken over already: the watcher was quicker
		c.mu.Unlock()
		return registry.ErrNameTaken
	}
	c.held[tok] = &claim{name: name, rev: rev} // a Release under way finds another claim: it leaves it
	c.holders[tok] = holding{c.id, rev}
	c.mu.Unlock()
	return nil
}

// create makes the name's key this node's and returns its revision: a new
// key, or one whose holder is this node (a claim released but not deleted
// yet, or one that timed out here but reached the server) or a node taken
// for dead — taken with a compare-and-set, so that a delete or a claim
// racing with it fails instead. Otherwise ErrNameTaken.
func (c *Cluster) create(ctx context.Context, tok string) (uint64, error) {
	for {
		rev, err := c.names.Create(ctx, tok, []byte(c.id))
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return rev, err
		}
		e, err := c.names.Get(ctx, tok)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			continue // released meanwhile: create it again
		case err != nil:
			return 0, err
		}
		if holder := string(e.Value()); holder != c.id {
			// Asked of the bucket, not of this node's copy, which may not
			// have heard of a node that has just come.
			switch _, err := c.nodes.Get(ctx, holder); {
			case err == nil:
				return 0, registry.ErrNameTaken
			case !errors.Is(err, jetstream.ErrKeyNotFound):
				return 0, err
			}
		}
		rev, err = c.names.Update(ctx, tok, []byte(c.id), e.Revision())
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return rev, err
		}
		// changed meanwhile: look again
	}
}

// Release deletes the name's key at the revision this node wrote, in the
// background: Release does not wait. A delete that fails (this node is cut
// off) leaves the key to be deleted when the node hears of it again, at
// its next renewal.
func (c *Cluster) Release(name string) {
	tok := token(name)
	c.mu.Lock()
	cl := c.held[tok]
	if cl == nil || c.closed {
		if c.claiming[tok] > 0 { // the claim deletes its key when it lands
			c.released[tok] = true
		}
		c.mu.Unlock()
		return
	}
	cl.releasing = true
	c.bg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.bg.Done()
		c.mu.Lock()
		rev, still := cl.rev, c.held[tok] == cl
		c.mu.Unlock()
		if !still {
			return // claimed again meanwhile
		}
		err := c.delete(tok, rev)
		c.mu.Lock()
		if c.held[tok] == cl {
			delete(c.held, tok)
			if err != nil && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
				c.holders[tok] = holding{c.id, rev} // an orphan, until a renewal deletes it
			}
		}
		c.mu.Unlock()
	}()
}

// delete deletes the name's key, if it is still at revision rev: purges
// it, leaving a marker that the bucket drops after NodeTTL, so that names
// once used do not pile up in the bucket.
func (c *Cluster) delete(tok string, rev uint64) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	return c.names.Purge(ctx, tok, jetstream.LastRevision(rev), jetstream.PurgeTTL(c.opts.NodeTTL))
}

// Send sends info to the node that holds the name: [registry.ErrNoName] if
// none does, or its node is dead. What this node has not heard of yet — the
// name, or its holder's node — is asked of the buckets, which waits Timeout
// at most. Send does not learn whether the connection took the info: a
// name that has just moved misses it.
func (c *Cluster) Send(name string, info any) error {
	tok := token(name)
	c.mu.Lock()
	h, known := c.holders[tok]
	alive := c.live[h.node]
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if !known || !alive {
		var err error
		if h, alive, err = c.lookUp(tok); err != nil {
			return fmt.Errorf("natsregistry: looking %q up: %w", name, err)
		}
	}
	if !alive || h.node == c.id {
		return registry.ErrNoName
	}
	m, err := c.message(c.opts.Prefix+".node."+h.node, info)
	if err != nil {
		return err
	}
	m.Header.Set(headerName, name)
	return c.nc.PublishMsg(m)
}

// lookUp asks the buckets who holds the name, and whether its node lives.
func (c *Cluster) lookUp(tok string) (h holding, alive bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	e, err := c.names.Get(ctx, tok)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return holding{}, false, nil
	case err != nil:
		return holding{}, false, err
	}
	h = holding{string(e.Value()), e.Revision()}
	switch _, err := c.nodes.Get(ctx, h.node); {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return h, false, nil
	case err != nil:
		return h, false, err
	}
	return h, true, nil
}

// receiveForName delivers a message another node sent to a name here.
func (c *Cluster) receiveForName(m *nats.Msg) {
	if info, ok := c.decode(m); ok {
		c.node.Send(m.Header.Get(headerName), info) // the registry counts what its policies drop
	}
}
