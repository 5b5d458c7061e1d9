package sockt

import (
	"testing"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// The short path, for tests that do not care about the upgrade request: a
// server whose factory accepts every request with a handler from
// newHandler.

// New starts a handler made by newHandler in the simulator, connects to it
// and runs its Init. [Conn.Connect] opens more connections to the same
// server. At cleanup the client closes the connection if it is still open,
// and the test fails unless Terminate ran exactly once and the transport was
// closed.
func New(t TB, newHandler func() sock.Handler, opts *Options) *Conn {
	t.Helper()
	return NewServer(t, acceptAll(newHandler, opts), opts).Connect(nil)
}

// Dial is [New] over a real loopback socket: the handler is served behind
// sockhttp (on [Options].Host) and a gorilla/websocket client connects to
// it.
func Dial(t TB, newHandler func() sock.Handler, opts *Options) *Conn {
	t.Helper()
	return DialServer(t, acceptAll(newHandler, opts), opts).Connect(nil)
}

// Run runs test twice as subtests: "sim" with a connection made by [New] and
// "loopback" with one made by [Dial]. A handler that passes both behaves the
// same in tests and in production.
func Run(t *testing.T, newHandler func() sock.Handler, opts *Options, test func(t *testing.T, c *Conn)) {
	t.Helper()
	t.Run("sim", func(t *testing.T) { test(t, New(t, newHandler, opts)) })
	t.Run("loopback", func(t *testing.T) { test(t, Dial(t, newHandler, opts)) })
}

// acceptAll returns a server whose factory accepts every request with a
// handler from newHandler.
func acceptAll(newHandler func() sock.Handler, opts *Options) *sockhttp.Server {
	o := opts.withDefaults()
	return sockhttp.NewServer(sockhttp.AcceptAll(newHandler), &sockhttp.Options{ConnOptions: o.ConnOptions, Host: o.Host})
}
