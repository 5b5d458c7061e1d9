package sockhttp

import (
	"net/http"

	"github.com/sockkit/sockkit/sock"
)

// Host is the WebSocket library under a [Server] (see [Options].Host):
// the server decides every handshake — method, headers, version, key,
// Origin, limits, the factory, the subprotocol — and hands the host the
// requests it accepted, to upgrade and to carry their frames. Sockhttp's
// own host is gorilla/websocket; package sockgws puts lxzan/gws there.
//
// Writing a host for another library comes down to its transport, whose
// doc, [sock.Transport], tells how, and to the takeover in Upgrade: hijack
// the connection, refuse bytes the client sent before the 101 (gorilla
// does, and sockgws), write the 101 under a deadline of its own, and keep
// the library from checking the Origin, choosing a subprotocol or
// negotiating compression, which the server has decided.
type Host interface {
	// Upgrade completes the opening handshake of r, which the server has
	// checked and accepted: it answers 101 Switching Protocols, with header
	// added to the handshake's own headers, takes the connection over and
	// returns the transport of its frames. If it fails, it has answered
	// the client, or the connection is lost.
	Upgrade(w http.ResponseWriter, r *http.Request, header http.Header, l Limits) (sock.Transport, error)
}

// Limits are what a [Host]'s transport enforces on what it reads.
type Limits struct {
	// MaxMessageSize is the largest message, in bytes (once inflated, if
	// compressed). A larger one fails with an error wrapping
	// [sock.ErrMessageTooBig], which the Session closes with 1009.
	MaxMessageSize int64
	// Budget is the server's for messages still arriving, or nil.
	Budget *Budget
}
