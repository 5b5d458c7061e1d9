package sockhttp

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/sockkit/sockkit/sock"
)

// Options configures a [Server] or an [Upgrade]. A nil *Options means all
// defaults.
type Options struct {
	// ConnOptions configures every connection (message size, timeouts, info
	// queue, logger); [Accept].ConnOptions overrides them for one. Nil means
	// sock's defaults.
	ConnOptions *sock.Options

	// OriginPatterns lists the hosts, besides the request's own, whose
	// browser pages may connect, as path.Match patterns matched against the
	// Origin's host, case-insensitively: "example.com", "*.example.com",
	// "localhost:*". Requests with another Origin get 403 Forbidden; requests
	// without one (non-browser clients) are allowed. A malformed pattern
	// makes [NewServer] panic and [Upgrade] fail.
	//
	// A page is of the request's own origin if its host is the request's
	// Host (default ports aside) and, over TLS, its scheme is https: an
	// http:// page may not open a connection that came over TLS, unless a
	// pattern lists its host. Without TLS the scheme is not checked, as a
	// proxy in front may have ended the TLS.
	OriginPatterns []string

	// TrustedProxies lists the reverse proxies, by IP address or prefix
	// ("10.0.0.0/8", "::1"), or "unix" for a peer on a Unix socket, whose
	// X-Forwarded-Host and X-Forwarded-Proto headers the same-origin check
	// believes (the first value of each, set by the proxy the client
	// reached), and whose X-Forwarded-For the per-client limit does. Without it, a proxy that rewrites
	// Host makes every page of your own origin fail with 403; set it rather
	// than skip the check. Requests from other addresses are judged by
	// their own Host, so a client cannot forge the headers. A malformed
	// entry makes [NewServer] panic and [Upgrade] fail.
	TrustedProxies []string

	// InsecureSkipOriginCheck accepts any Origin. This is dangerous: any web
	// page a user visits can then open a connection with the user's cookies
	// (cross-site WebSocket hijacking). Prefer OriginPatterns.
	InsecureSkipOriginCheck bool

	// Subprotocols lists the subprotocols the server speaks, most preferred
	// first; the first one the client offers is chosen unless the factory
	// chooses in [Accept].Subprotocol. Default none.
	Subprotocols []string

	// Host is the WebSocket library under the server. Default
	// gorilla/websocket, with the three settings below; another host has
	// settings of its own, and setting these with it makes [NewServer]
	// panic and [Upgrade] fail.
	Host Host

	// EnableCompression negotiates permessage-deflate (RFC 7692, without
	// context takeover) with clients that offer it. Default off.
	EnableCompression bool

	// ReadBufferSize and WriteBufferSize size gorilla's I/O buffers, in
	// bytes. Default 4096 each.
	ReadBufferSize, WriteBufferSize int

	// MaxConns bounds the connections a [Server] holds at once, open or
	// being accepted; past it, upgrades get 503 Service Unavailable with
	// Retry-After ([ErrTooManyConns]). Zero means no bound.
	MaxConns int
	// MaxConnsPerClient bounds them per client address: the peer's, or
	// behind TrustedProxies, the one they forwarded in X-Forwarded-For;
	// IPv6 clients are counted by /64, which one host commonly has whole.
	// A client without an address (a Unix socket's peer that is not a
	// trusted proxy) is not bounded. Zero means no bound.
	MaxConnsPerClient int
	// RetryAfter is the wait a 503 tells clients — past the limits, or
	// during Shutdown — in its Retry-After header, in whole seconds.
	// Default 5s.
	RetryAfter time.Duration

	// MemoryBudget bounds the bytes a [Server]'s connections hold, all
	// together, in messages that have not all arrived yet: a client can
	// send most of a large message and stall, and a few hundred such
	// clients would otherwise pin MaxMessageSize each. The first 64 KiB of
	// each message are not counted. A message that would take the
	// connections past the budget fails: the connection closes with 1013
	// try again later ([sock.ErrBusy]). Default 256 MiB; negative means no
	// bound. Connections of [Upgrade] have none.
	MemoryBudget int64

	// Drain paces [Server.Shutdown].
	Drain Drain

	// Hooks are told what the server and its connections do, for metrics.
	// Default none.
	Hooks *Hooks
}

// Hooks are told what a [Server] does, for metrics: see package sockprom
// for Prometheus. Nil fields are skipped. They are called concurrently, on
// the requests' and connections' goroutines: they must be safe for
// concurrent use and must not block.
type Hooks struct {
	// Conn are every connection's hooks, unless the [sock.Options] of the
	// connection ([Accept].ConnOptions) have their own.
	Conn *sock.Hooks
	// Upgraded is called for each request upgraded to a connection, before
	// the connection opens.
	Upgraded func(r *http.Request)
	// Refused is called for each upgrade request answered otherwise, with
	// the status sent and the [*Refusal] (whose cause errors.Is finds);
	// the status is 0, and err the host's, when the upgrade failed after
	// the handshake was accepted.
	Refused func(r *http.Request, status int, err error)
}

func (h *Hooks) upgraded(r *http.Request) {
	if h != nil && h.Upgraded != nil {
		h.Upgraded(r)
	}
}

func (h *Hooks) refused(r *http.Request, status int, err error) {
	if h != nil && h.Refused != nil {
		h.Refused(r, status, err)
	}
}

// connOptions returns the connections' options of o: its ConnOptions, with
// the connection hooks of its Hooks unless they have their own.
func (o *Options) connOptions() *sock.Options {
	h := o.Hooks
	if h == nil || h.Conn == nil || (o.ConnOptions != nil && o.ConnOptions.Hooks != nil) {
		return o.ConnOptions
	}
	var c sock.Options
	if o.ConnOptions != nil {
		c = *o.ConnOptions
	}
	c.Hooks = h.Conn
	return &c
}

// Drain paces [Server.Shutdown], as Phoenix's drainer does: it closes the
// connections a batch at a time, so that their clients do not all
// reconnect at once to the servers that remain. The zero value means the
// defaults. Shutdown's context is the deadline for the whole drain.
type Drain struct {
	// Batch is how many connections are closed at a time. Default 10,000.
	Batch int
	// Interval is the wait between two batches. Default 2s.
	Interval time.Duration
	// Restart closes with 1012 service restart rather than 1001 going
	// away: the server is coming back, and clients should reconnect.
	Restart bool
}

// The defaults of a Drain: Phoenix's.
const (
	defaultDrainBatch    = 10000
	defaultDrainInterval = 2 * time.Second
)

func (d Drain) withDefaults() Drain {
	if d.Batch <= 0 {
		d.Batch = defaultDrainBatch
	}
	if d.Interval <= 0 {
		d.Interval = defaultDrainInterval
	}
	return d
}

// Factory decides, from the upgrade request, whether to accept a connection
// and with which handler. To refuse, it returns a [*Refusal]; any other
// error is answered with 500 Internal Server Error and logged. It runs on
// the request's goroutine before the upgrade, so authentication belongs
// here.
type Factory func(r *http.Request) (Accept, error)

// AcceptAll returns a factory that accepts every request with a handler
// from newHandler: for a server with nothing to negotiate, or a test.
func AcceptAll(newHandler func() sock.Handler) Factory {
	return func(*http.Request) (Accept, error) { return Accept{Handler: newHandler()}, nil }
}

// Accept is a factory's consent to a connection.
type Accept struct {
	// Handler runs the connection. Required.
	Handler sock.Handler
	// Subprotocol, if set, must be one the client offered; it overrides
	// [Options].Subprotocols.
	Subprotocol string
	// ConnOptions, if set, replaces [Options].ConnOptions for this
	// connection.
	ConnOptions *sock.Options
	// Header is added to the 101 Switching Protocols response. The
	// handshake's own headers (Upgrade, Connection, Sec-WebSocket-Accept,
	// Sec-WebSocket-Extensions) may not be set; a Sec-WebSocket-Protocol
	// here is taken as the Subprotocol.
	Header http.Header
}

// validate reports settings that are malformed or contradict each other,
// and returns the origin checks o's settings make.
func (o *Options) validate() (origins, error) {
	if o.Host != nil && (o.EnableCompression || o.ReadBufferSize != 0 || o.WriteBufferSize != 0) {
		return origins{}, errors.New("EnableCompression, ReadBufferSize and WriteBufferSize are gorilla's settings; with Options.Host set, set the host's own")
	}
	return newOrigins(o)
}

// host returns the Host of o: its own, or gorilla with o's settings.
func (o *Options) host() Host {
	if o.Host != nil {
		return o.Host
	}
	return newGorilla(o)
}

func loggerOf(o *sock.Options) *slog.Logger {
	if o != nil && o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}
