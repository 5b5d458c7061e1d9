package natsregistry

import (
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// subscription is this node's subscription to a group's subject, while
// the group has members here.
type subscription struct {
	members int // Joins less Leaves: may dip below 0 for a Leave that came before its Join
	sub     *nats.Subscription
	ready   chan struct{} // closed when the server has the subscription (or gave up waiting)
}

func (c *Cluster) subject(group string) string { return c.opts.Prefix + ".group." + token(group) }

// Join subscribes this node to the group's messages if it was not, and
// waits, Timeout at most, for the server to have the subscription: what
// other nodes publish after Join returns reaches this node. While this
// node is cut off from NATS it does not wait.
func (c *Cluster) Join(group string) {
	c.mu.Lock()
	s, first := c.count(group, +1)
	ready := s.ready
	c.mu.Unlock()
	if !c.nc.IsConnected() {
		return
	}
	if first {
		if err := c.nc.FlushTimeout(c.opts.Timeout); err != nil {
			c.opts.OnError(fmt.Errorf("natsregistry: joining %q: %w", group, err))
		}
		close(ready)
		return
	}
	t := time.NewTimer(c.opts.Timeout)
	defer t.Stop()
	select {
	case <-ready:
	case <-t.C:
	}
}

// Leave unsubscribes this node from the group once its last member here
// has left.
func (c *Cluster) Leave(group string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.count(group, -1)
}

// count adds n to the group's members here, subscribing or unsubscribing
// as it goes above zero or back; first says it subscribed. c.mu is held.
func (c *Cluster) count(group string, n int) (s *subscription, first bool) {
	s = c.groups[group]
	if s == nil {
		s = &subscription{}
		c.groups[group] = s
	}
	s.members += n
	switch {
	case s.members > 0 && s.sub == nil:
		s.ready = make(chan struct{})
		sub, err := c.nc.Subscribe(c.subject(group), func(m *nats.Msg) { c.receive(group, m) })
		if err != nil {
			c.opts.OnError(fmt.Errorf("natsregistry: joining %q: %w", group, err))
			close(s.ready)
			return s, false
		}
		s.sub = sub
		return s, true
	case s.members <= 0 && s.sub != nil:
		if err := s.sub.Unsubscribe(); err != nil {
			c.opts.OnError(fmt.Errorf("natsregistry: leaving %q: %w", group, err))
		}
		s.sub = nil
	}
	if s.members == 0 {
		delete(c.groups, group)
	}
	return s, false
}

// Publish sends info to the group's members on the other nodes. It does
// not wait: a message published while this node is cut off from NATS is
// kept in the connection's reconnect buffer, and sent if it comes back in
// time.
func (c *Cluster) Publish(group string, info any) error {
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
