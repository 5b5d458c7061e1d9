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
// work as they do on one node. After Close, the registry works on its own.
//
// # Groups
//
// A group is the subject Prefix.group.GROUP. A node subscribes to it while
// the group has members on the node: what other nodes publish reaches it
// once the server has the subscription, a round trip after the first Join
// (a test can wait for it with nats.Conn.Flush). Publish delivers to the
// node's own members at once, then
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
// to claim one of its names takes the name over; the live node with the
// lowest ID deletes the names of a node that left or expired. A name given
// up leaves a marker that the bucket drops after NodeTTL: names once used
// do not pile up. Send to a
// name held on another node goes to that node's subject, Prefix.node.ID
// (a name this node has not heard of yet is looked up in the bucket).
// Names and groups of any length and bytes may be used: in subjects and
// keys they are written readably (=XX for bytes other than letters,
// digits, - and _), or as "==" and a SHA-256 past 128 bytes.
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
//     a claim or a release whose answer was lost is settled when the node
//     is back: a key naming it for a name it does not hold is deleted at
//     its next renewal.
//
// When the connection returns, nats.go subscribes again and the node
// renews its key at once: it keeps its names. If it was cut off for longer
// than NodeTTL it was taken for dead and its names' keys were deleted: it
// writes them again, unless another node took one over meanwhile — then
// the connection that held it here loses it: its HandleInfo receives
// [registry.NameLost].
package natsregistry
