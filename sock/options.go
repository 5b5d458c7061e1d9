package sock

import (
	"log/slog"
	"time"
)

// Options configures a connection. A nil *Options means all defaults; a zero
// field means that field's default. Options are copied when a Session is made,
// so changing them later has no effect on it.
type Options struct {
	// MaxMessageSize is the largest message, in bytes, a peer may send; a
	// larger one closes the connection with 1009. Default 1 MiB.
	MaxMessageSize int64

	// IdleTimeout ends a connection on which nothing, not even a pong, was
	// received for this long: close 1001, [ReasonTimeout]. Default 60s;
	// negative disables it. Browsers send no pings of their own: for clients
	// that may only listen, set a PingInterval shorter than IdleTimeout, so
	// that their pongs keep the connection alive.
	IdleTimeout time.Duration

	// PingInterval makes the server send a keepalive ping this long after the
	// previous one. Zero (the default) sends none.
	PingInterval time.Duration

	// PongTimeout ends the connection, with close 1001 and [ReasonTimeout],
	// when no pong arrives this long after a keepalive ping. Default: the
	// PingInterval. It has no effect without PingInterval.
	PongTimeout time.Duration

	// WriteTimeout bounds every write to the transport; a write that does not
	// finish in time ends the connection with [ErrWriteTimeout]. Under
	// [Serve], a write's deadline may have been set up to a sixteenth of
	// WriteTimeout before it starts, so that the socket's deadline is not
	// moved at every write. Default 10s.
	WriteTimeout time.Duration

	// CloseTimeout bounds the closing handshake: after the server sends a close
	// frame it waits this long for the peer's before closing the transport.
	// Default 5s.
	CloseTimeout time.Duration

	// InfoQueueSize bounds the infos [Conn.SendInfo] may queue before the
	// connection's goroutine takes them. Default 256.
	InfoQueueSize int

	// Logger receives the connection's log records, with a "conn" attribute
	// holding its ID. Default slog.Default().
	Logger *slog.Logger

	// Hooks are told what the connection does, for metrics. Default none.
	Hooks *Hooks
}

// Defaults of the Options fields.
const (
	defaultMaxMessageSize = 1 << 20
	defaultIdleTimeout    = 60 * time.Second
	defaultWriteTimeout   = 10 * time.Second
	defaultCloseTimeout   = 5 * time.Second
	defaultInfoQueueSize  = 256
)

// withDefaults returns a copy of o with every zero field set to its default.
func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = defaultMaxMessageSize
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = defaultIdleTimeout
	}
	if c.PongTimeout <= 0 {
		c.PongTimeout = c.PingInterval
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = defaultWriteTimeout
	}
	if c.CloseTimeout <= 0 {
		c.CloseTimeout = defaultCloseTimeout
	}
	if c.InfoQueueSize <= 0 {
		c.InfoQueueSize = defaultInfoQueueSize
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
