// Package registry lets the rest of a program reach connections: by a
// unique name ("ada"), or by group ("room:lobby"), as Antikythera's
// registry and Phoenix.PubSub do. What is sent reaches the handler's
// HandleInfo, through the connection's own queue ([sock.Conn.SendInfo]):
// sending never blocks, and a member that cannot keep up does not slow the
// others — its [Policy] says what happens to it instead.
//
// A registry forgets a connection when it terminates, if the server's
// handlers are tracked:
//
//	reg := registry.New(nil)
//	srv := sockhttp.NewServer(factory, nil)
//	srv.WrapHandlers(reg.Track)
//
// and in a handler:
//
//	func (h *member) Init(c *sock.Conn) sock.Result {
//		if err := h.reg.Register(h.nick, c); err != nil {
//			return sock.Close(4001, "nickname taken")
//		}
//		h.reg.Join("room:lobby", c)
//		return sock.Continue()
//	}
//
//	func (h *member) HandleIn(c *sock.Conn, msg sock.Frame) sock.Result {
//		h.reg.Publish("room:lobby", said{h.nick, string(msg.Payload)})
//		return sock.Continue()
//	}
//
// What is published or sent is read later, by other connections: it must
// not hold a payload lent to a callback (string(msg.Payload) above is a
// copy; msg.Payload itself would reach the members on this node
// overwritten, see [sock.Frame]).
//
// A Registry is safe for concurrent use, and deterministic in the
// simulator: members are kept in the order they joined.
package registry
