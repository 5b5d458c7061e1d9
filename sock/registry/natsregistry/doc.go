// Package natsregistry links the [registry.Registry] of several nodes
// through a NATS server, so that a chat, or any server that pushes, can run
// on more than one process:
//
//	nc, err := nats.Connect(url)
//	...
//	cluster, err := natsregistry.New(nc, &natsregistry.Options{Codec: natsregistry.JSON(Said{})})
//	...
//	defer cluster.Close()
//	reg := registry.New(&registry.Options{Cluster: cluster})
//
// Nothing else changes in the handlers: Join, Publish, Register and Send
// work as they do on one node.
//
// # Groups
//
// A group is the subject Prefix.group.GROUP. A node subscribes to it while
// the group has members on the node (the first Join waits for the
// subscription to reach the server, so what is published after it returns
// is received). Publish delivers to the node's own members at once, then
// sends one NATS message that every other node with members delivers to
// its own, in the order each publisher published. The message crosses as
// bytes: [Options].Codec chooses how ([JSON] by default).
//
// # Names
//
// A name is a key of the JetStream key-value bucket Buckets-names, and the
// rule is the bucket's: the first node to create the key holds the name,
// for the connection that registered it, until that connection unregisters
// it or terminates; [registry.Registry.Register] returns
// [registry.ErrNameTaken] everywhere else. Each node also holds a key of
// Buckets-nodes, renewed every NodeTTL/3: a node that has not renewed it
// for NodeTTL (it died, or is cut off) is taken for dead, and the next node
// to claim one of its names takes the name over. Send to a name held on
// another node goes to that node's subject, Prefix.node.ID.
//
// # When the NATS connection drops and returns
//
// NATS delivers at most once. While a node is cut off:
//   - its own connections keep everything the registry does on one node:
//     names, groups and publishing between them;
//   - once nats.go has noticed the drop, messages it publishes are kept in
//     the NATS connection's reconnect buffer and sent when it is back
//     (nats.ReconnectBufSize bounds them); those published as the
//     connection drops, and what other nodes publish meanwhile, are lost
//     to it;
//   - Register fails (after Timeout) rather than risk a name held twice;
//     Join does not wait.
//
// When the connection returns, nats.go subscribes again and the node
// renews its key: it keeps its names. If it was cut off for longer than
// NodeTTL and another node took one of its names over meanwhile, the
// connection that held it here loses it: its HandleInfo receives
// [registry.NameLost].
package natsregistry
