// Package sockhttp serves sock handlers to real clients through net/http, on
// github.com/gorilla/websocket — or on another WebSocket library, a [Host]
// (package sockgws puts lxzan/gws there), with everything below the same.
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
//
// # Origins
//
// Browsers let any page open a WebSocket to any server, with the user's
// cookies; the server's defence is the Origin header. By default a
// [Server] accepts a browser only from its own origin (see
// [Options].OriginPatterns for the others it may list) and clients that
// send no Origin at all — command-line tools, other servers — which cannot
// carry a user's cookies unasked.
//
// Behind a reverse proxy that rewrites Host, your own pages fail with 403:
// list the proxy in [Options].TrustedProxies, and make it send
// X-Forwarded-Host (and X-Forwarded-Proto if it ends the TLS).
//
// A service on localhost, or on a private address, is open to DNS
// rebinding: a page on evil.example, whose name the attacker then points at
// 127.0.0.1, opens a connection whose Origin and Host are both
// evil.example:PORT, which the same-origin check cannot tell from your own.
// Such a service should check Host in its [Factory] and refuse any it does
// not serve:
//
//	func accept(r *http.Request) (sockhttp.Accept, error) {
//		if host, _, _ := net.SplitHostPort(r.Host); host != "localhost" && host != "127.0.0.1" {
//			return sockhttp.Accept{}, &sockhttp.Refusal{Status: http.StatusMisdirectedRequest}
//		}
//		...
//	}
package sockhttp
