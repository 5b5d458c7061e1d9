// Package sockhttp serves sock handlers to real clients through net/http, on
// github.com/gorilla/websocket.
//
// [NewServer] returns a [Server], an http.Handler that checks the opening
// handshake and the Origin, asks a [Factory] whether and how to accept each
// request — authentication belongs there; refuse with a [*Refusal] — then
// upgrades and runs the connection's [sock.Session] with [sock.Serve].
// [Server.Negotiate] decides a request by the same code without upgrading,
// for simulators and tests (package sockt). [Server.Shutdown] closes every
// connection with 1001; call it next to http.Server.Shutdown, which does not
// know upgraded connections. [Upgrade] serves a single request from a
// handler of your own.
//
// gorilla/websocket answers pings and close frames itself and does not check
// text messages for UTF-8. sockhttp turns the first off and lets the Session
// do all three, so the rules are the same as in the simulator; it also sets
// gorilla's read limit from [sock.Options].MaxMessageSize so that an oversize
// message is refused before it is buffered, and tells the Session of every
// part of a message that arrives, so that a slow upload is not idle.
package sockhttp
