// Package sim runs sock handlers in memory, deterministically: each simulated
// connection drives the real [sock.Session] that production uses, on a
// virtual clock, against a scripted peer, and every step lands in a [Trace].
//
// # Worlds and connections
//
// A [World] holds connections that share one clock and one seeded scheduler.
// [World.Connect] opens a connection to a handler and returns its [Conn],
// whose methods play the client: send text, binary, fragmented messages,
// pings, pongs and close frames (valid or not), break the protocol, drop the
// connection, stop reading so that server writes back up until the write
// timeout fires, or ignore the server's close frame. Server-side events are
// there too: info messages ([Conn.Send]) and shutdown.
//
// Messages handlers send each other with [sock.Conn.Send] are delivered when
// the world settles, after every action; when several connections have mail
// waiting, the seeded scheduler picks the order, so different seeds explore
// different interleavings and the same seed repeats one exactly.
//
// # Time
//
// Nothing waits. [World.Advance] moves the virtual clock and fires, in time
// order, whatever falls due on the way: handler timers ([sock.Conn.After]),
// keepalive pings, and the idle, pong, write and closing-handshake timeouts.
// Handlers that read the time with [sock.Conn.Now] see virtual time.
//
// # Traces
//
// [World.Trace] lists what happened: what the client sent, which callback
// ran with what and what it returned, what the server wrote, why Terminate
// ran, when the clock moved. Its text form is stable, for golden files.
// [Observe] records callbacks in the same form for a handler served over a
// real socket. A World made with [NewUntraced] records nothing and runs
// several times faster, for running many lifecycles.
package sim
