// Package sim runs sock handlers in memory, deterministically: each simulated
// connection drives the real [sock.Session] that production uses, on a
// virtual clock, against a scripted peer, and every step lands in a [Trace].
//
// # Worlds and connections
//
// A [World] holds connections that share one clock and one seeded scheduler.
// [World.Connect] opens a connection to a handler ([World.ConnectWith] with
// the upgrade request and subprotocol a server's negotiation decided) and
// returns its [Conn], whose methods play the client: send text, binary,
// fragments of a message spread over time, pings, pongs and close frames
// (valid or not), break the protocol, drop the connection, stop reading so
// that server writes back up until the write timeout fires, or ignore the
// server's close frame. Server-side events are there too: infos
// ([Conn.SendInfo]) and shutdown.
//
// Infos handlers send each other with [sock.Conn.SendInfo] are delivered
// when the world settles, after every action; when several connections have
// infos waiting, the seeded scheduler picks the order, so different seeds
// explore different interleavings and the same seed repeats one exactly.
// [World.HoldInfos] lets infos wait across steps until
// [World.DeliverInfos] delivers them, one connection at a time: an info may
// then still be queued when a shutdown starts, the peer's close frame
// arrives, a timer fires, or a write is blocked, as under [sock.Serve]. A
// fuzzer draws "deliver infos now" as an action of its own; tests read best
// with the default.
//
// # Time
//
// Nothing waits. [World.Advance] moves the virtual clock and fires, in time
// order, whatever falls due on the way: handler timers ([sock.Conn.After]),
// keepalive pings, and the idle, pong, write and closing-handshake timeouts.
// What is due at the current instant, such as an After(0), fires when the
// world settles, at once, as under [sock.Serve]. A connection that runs 1000
// times in one step without time passing — zero-delay timers setting
// zero-delay timers, infos sent back and forth, pings answering every pong —
// is in a loop: the world reports a [Bug] and leaves it alone until the clock
// moves. Handlers that read the time with [sock.Conn.Now] see
// virtual time.
//
// # Traces
//
// [World.Trace] lists what happened: what the client sent, which callback
// ran with what and what it returned, what the server wrote, why Terminate
// ran, when the clock moved, and the handler bugs sock survived (a panic, a
// Result it refused, a loop, a payload kept past its callback). Its text form is stable, for golden files and
// for comparing runs: infos are rendered as fmt's %v would, but a pointer,
// channel or func shows a number, in the order of first appearance in the
// world, never an address. Frames in the trace are its own copies: a handler
// may change the frames it is handed and reuse the buffers it pushed once
// they are written.
//
// The trace is in the order things happened, which is not always the order a
// reader expects: the callback whose Result closes the connection returns,
// then Terminate runs, and only then does the server write that Result's
// frames and its close frame. Terminate is the handler's last callback, not
// the connection's last write; it is so under [sock.Serve] too.
//
// [Observe] records callbacks in the same form for a handler served over a
// real socket. A World made with [NewUntraced] records nothing and runs
// several times faster, for running many lifecycles.
package sim
