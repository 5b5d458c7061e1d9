// Package sockhttp serves sock handlers to real clients through net/http, on
// github.com/gorilla/websocket.
//
// [Handler] returns a [Server], an http.Handler that checks the opening
// handshake and the Origin, asks a [Factory] whether and how to accept each
// request — authentication belongs there; refuse with a [*Refusal] — then
// upgrades and runs the connection's [sock.Session] with [sock.Serve].
// [Server.Shutdown] closes every connection with 1001; call it next to
// http.Server.Shutdown, which does not know upgraded connections. [Upgrade]
// serves a single request from a handler of your own.
//
// gorilla/websocket answers pings and close frames itself and does not check
// text messages for UTF-8. sockhttp turns the first off and lets the Session
// do all three, so the rules are the same as in the simulator; it also sets
// gorilla's read limit from [sock.Options].MaxMessageSize so that an oversize
// message is refused before it is buffered.
package sockhttp
