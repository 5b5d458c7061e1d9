package natsregistry

import (
	"fmt"

	"github.com/nats-io/nats.go"
)

// subscription is this node's subscription to a group's subject, while
// the group has members here.
type subscription struct {
	members int // Joins less Leaves: may dip below 0 for a Leave that came before its Join
	sub     *nats.Subscription
}

func (c *Cluster) subject(group string) string { return c.opts.Prefix + ".group." + token(group) }

// Join subscribes this node to the group's messages if it was not. It does
// not wait: what other nodes publish reaches this node once the server has
// the subscription, about a round trip later (nats.Conn.Flush waits for
// it, in a test).
func (c *Cluster) Join(group string) { c.count(group, +1) }

// Leave unsubscribes this node from the group once its last member here
// has left.
func (c *Cluster) Leave(group string) { c.count(group, -1) }

// count adds n to the group's members here, subscribing or unsubscribing
// as it goes above zero or back.
func (c *Cluster) count(group string, n int) {
	if err := c.countLocked(group, n); err != nil {
		c.opts.OnError(err)
	}
}

func (c *Cluster) countLocked(group string, n int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	s := c.groups[group]
	if s == nil {
		s = &subscription{}
		c.groups[group] = s
	}
	s.members += n
	var err error
	switch {
	case s.members > 0 && s.sub == nil:
		if s.sub, err = c.nc.Subscribe(c.subject(group), func(m *nats.Msg) { c.receive(group, m) }); err != nil {
			err = fmt.Errorf("natsregistry: joining %q: %w", group, err)
		}
	case s.members <= 0 && s.sub != nil:
		if err = s.sub.Unsubscribe(); err != nil {
			err = fmt.Errorf("natsregistry: leaving %q: %w", group, err)
		}
		s.sub = nil
	}
	if s.members == 0 {
		delete(c.groups, group)
	}
	return err
}

// Publish sends info to the group's members on the other nodes. It does
// not wait: a message published while this node is cut off from NATS is
// kept in the connection's reconnect buffer once nats.go has noticed, and
// sent if the connection comes back in time.
func (c *Cluster) Publish(group string, info any) error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	m, err := c.message(c.subject(group), info)
	if err != nil {
		return err
	}
	return c.nc.PublishMsg(m)
}

// receive delivers a message published to the group on another node.
func (c *Cluster) receive(group string, m *nats.Msg) {
	if m.Header.Get(headerNode) == c.id {
		return // this node's own: its members have it already
	}
	if info, ok := c.decode(m); ok {
		c.node.Publish(group, info)
	}
}
