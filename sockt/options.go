package sockt

import (
	"crypto/tls"
	"log/slog"
	"time"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// TB is the part of testing.TB that sockt uses: *testing.T and *testing.B
// satisfy it. Fatalf must not return: testing.T's stops the test goroutine.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Options configures a test's connections. A nil *Options means all
// defaults.
type Options struct {
	// ConnOptions configures the connections of [New], [Dial] and [Run]
	// as in production. Nil means sock's defaults, except that without a
	// Logger nothing is logged. A server given to [NewServer], [DialServer]
	// or [RunServer] uses its own options instead.
	ConnOptions *sock.Options
	// Host is the WebSocket library of the server [Dial] and [Run] make
	// for a handler, over loopback (see [sockhttp.Options].Host). Nil
	// means gorilla/websocket. A server given to [DialServer] or
	// [RunServer] uses its own.
	Host sockhttp.Host
	// Seed seeds the simulator's scheduler. Default 1.
	Seed uint64
	// Wait bounds how long, over loopback, Expect methods wait for a frame
	// or for Terminate, and Connect for the handshake and Init. Default 2s.
	// The simulator never waits.
	Wait time.Duration
	// TLSClientConfig configures the client's TLS for a wss:// URL given
	// to [DialURL]. Nil means crypto/tls's defaults.
	TLSClientConfig *tls.Config
	// Quiet is how long, over loopback, RefutePush watches for a frame that
	// should not come. Default 50ms. The simulator knows at once.
	Quiet time.Duration
}

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Wait <= 0 {
		c.Wait = 2 * time.Second
	}
	if c.Quiet <= 0 {
		c.Quiet = 50 * time.Millisecond
	}
	// Tests provoke errors on purpose: log nowhere, in both modes alike.
	conn := sock.Options{Logger: discard}
	if c.ConnOptions != nil {
		conn = *c.ConnOptions
		if conn.Logger == nil {
			conn.Logger = discard
		}
	}
	c.ConnOptions = &conn
	return c
}

var discard = slog.New(slog.DiscardHandler)
