package sockhttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/sockkit/sockkit/sock"
)

// Options configures the adapter. A nil *Options means all defaults.
type Options struct {
	// Session holds the connection options (message size, timeouts, mailbox,
	// logger) for every connection; [Accept].Options overrides them for one.
	// Nil means sock's defaults.
	Session *sock.Options

	// OriginPatterns lists the hosts, besides the request's own, whose
	// browser pages may connect, as path.Match patterns matched against the
	// Origin's host, case-insensitively: "example.com", "*.example.com",
	// "localhost:*". Requests with another Origin get 403 Forbidden; requests
	// without one (non-browser clients) are allowed. A malformed pattern
	// panics in [Handler].
	OriginPatterns []string

	// InsecureSkipOriginCheck accepts any Origin. This is dangerous: any web
	// page a user visits can then open a connection with the user's cookies
	// (cross-site WebSocket hijacking). Prefer OriginPatterns.
	InsecureSkipOriginCheck bool

	// Subprotocols lists the subprotocols the server speaks, most preferred
	// first; the first one the client offers is chosen unless the factory
	// chooses in [Accept].Subprotocol. Default none.
	Subprotocols []string

	// EnableCompression negotiates permessage-deflate (RFC 7692, without
	// context takeover) with clients that offer it. Default off.
	EnableCompression bool

	// ReadBufferSize and WriteBufferSize size gorilla's I/O buffers, in
	// bytes. Default 4096 each.
	ReadBufferSize, WriteBufferSize int
}

// Factory decides, from the upgrade request, whether to accept a connection
// and with which handler. To refuse, it returns a [*Refusal] (any other error
// is answered with 500 Internal Server Error and logged). It runs on the
// request's goroutine before the upgrade, so authentication belongs here.
type Factory func(r *http.Request) (Accept, error)

// Accept is a factory's consent to a connection.
type Accept struct {
	// Handler runs the connection. Required.
	Handler sock.Handler
	// Subprotocol, if set, must be one the client offered; it overrides
	// [Options].Subprotocols.
	Subprotocol string
	// Options, if set, replaces [Options].Session for this connection.
	Options *sock.Options
	// Header is added to the 101 Switching Protocols response.
	Header http.Header
}

// Refusal is a factory's refusal: the HTTP response the client gets instead
// of an upgrade.
type Refusal struct {
	Status int         // 0 means 403 Forbidden
	Header http.Header // added to the response
	Body   string
}

// Error returns "sockhttp: upgrade refused: STATUS BODY".
func (e *Refusal) Error() string {
	return "sockhttp: upgrade refused: " + strconv.Itoa(e.status()) + " " + e.Body
}

func (e *Refusal) status() int {
	if e.Status == 0 {
		return http.StatusForbidden
	}
	return e.Status
}

func (e *Refusal) write(w http.ResponseWriter) {
	for k, vs := range e.Header {
		w.Header()[k] = append(w.Header()[k], vs...)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(e.status())
	_, _ = w.Write([]byte(e.Body))
}

// Server is an http.Handler that upgrades requests to WebSocket connections
// run by the handlers its factory makes, and keeps track of them so that
// [Server.Shutdown] can close them. Make one with [Handler].
type Server struct {
	factory  Factory
	opts     Options
	upgrader websocket.Upgrader
	logger   *slog.Logger

	ctx    context.Context // cancelled by Shutdown: every Serve sends 1001
	cancel context.CancelFunc

	mu       sync.Mutex
	shutdown bool // no new upgrades
	forced   bool // Shutdown's ctx ended: close sockets as soon as they are tracked
	live     map[*transport]struct{}
	wg       sync.WaitGroup
}

// Handler returns a Server that serves WebSocket upgrades with handlers made
// by f.
func Handler(f Factory, opts *Options) *Server {
	s := &Server{factory: f, live: make(map[*transport]struct{})}
	if opts != nil {
		s.opts = *opts
	}
	checkPatterns(s.opts.OriginPatterns)
	s.upgrader = newUpgrader(&s.opts)
	s.logger = loggerOf(s.opts.Session)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

func newUpgrader(o *Options) websocket.Upgrader {
	return websocket.Upgrader{
		ReadBufferSize:    o.ReadBufferSize,
		WriteBufferSize:   o.WriteBufferSize,
		EnableCompression: o.EnableCompression,
		CheckOrigin:       func(*http.Request) bool { return true }, // checked before, with the patterns
	}
}

func loggerOf(o *sock.Options) *slog.Logger {
	if o != nil && o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// ServeHTTP checks the handshake and the Origin, asks the factory, upgrades,
// and runs the connection until it ends. During and after Shutdown it answers
// 503 Service Unavailable.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !checkHandshake(w, r) || !checkOrigin(w, r, &s.opts) {
		return
	}
	if !s.join() {
		http.Error(w, "sockhttp: server shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	// This goroutine parks below here, in the transport's reader, for the
	// connection's whole life, and runs every callback and write on top of
	// this frame; a goroutine's stack is not given back while the connection
	// idles. So this frame only holds what Serve needs: the handshake is done
	// by open, which has returned by then.
	t, sess := s.open(w, r)
	if t == nil {
		return
	}
	defer s.untrack(t)
	_ = sock.Serve(s.ctx, t, sess)
}

// open asks the factory about r, completes the handshake and tracks the new
// transport. It returns nil when the client has had another answer.
//
//go:noinline
func (s *Server) open(w http.ResponseWriter, r *http.Request) (*transport, *sock.Session) {
	acc, ok := s.accept(w, r)
	if !ok {
		return nil, nil
	}
	ws, sub, err := handshake(w, r, &acc, &s.opts, &s.upgrader)
	if err != nil {
		return nil, nil
	}
	t, sess := newSession(ws, r, sub, &acc)
	s.track(t)
	return t, sess
}

// accept asks the factory about r and answers a refusal or a failure itself.
func (s *Server) accept(w http.ResponseWriter, r *http.Request) (Accept, bool) {
	acc, err := s.factory(r)
	var refusal *Refusal
	switch {
	case errors.As(err, &refusal):
		refusal.write(w)
		return acc, false
	case err != nil:
		s.logger.Error("sockhttp: factory failed", "err", err)
		http.Error(w, "sockhttp: internal error", http.StatusInternalServerError)
		return acc, false
	}
	if acc.Options == nil {
		acc.Options = s.opts.Session
	}
	return acc, true
}

// join registers one more request unless the server is shutting down.
func (s *Server) join() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return false
	}
	s.wg.Add(1)
	return true
}

// track adds t to the live connections.
func (s *Server) track(t *transport) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live[t] = struct{}{}
	if s.forced { // upgraded while Shutdown was giving up on the others
		t.Close()
	}
}

// untrack removes t from the live connections.
func (s *Server) untrack(t *transport) {
	s.mu.Lock()
	delete(s.live, t)
	s.mu.Unlock()
}

// Shutdown refuses new upgrades with 503, closes every live connection with
// 1001 (each handler's Terminate sees [sock.ReasonShutdown]) and waits for
// them to finish their closing handshakes. If ctx ends first, it closes the
// sockets of the connections still open, and of any still upgrading, and
// returns ctx's error without waiting further: their goroutines end as soon
// as their handlers' callbacks return.
//
// http.Server.Shutdown does not know hijacked connections, so call this too,
// e.g. from http.Server.RegisterOnShutdown.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutdown = true
	s.mu.Unlock()
	s.cancel()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	s.forced = true
	for t := range s.live {
		t.Close()
	}
	s.mu.Unlock()
	return ctx.Err()
}

// Upgrade upgrades one request to a WebSocket connection run by h, on the
// calling goroutine: it returns when the connection is over. Cancelling the
// request's context shuts the connection down (1001). It checks the handshake
// and the Origin as [Server] does and answers a bad request itself, returning
// an error. Connections made by Upgrade are not tracked by any Server.
func Upgrade(w http.ResponseWriter, r *http.Request, h sock.Handler, opts *Options) error {
	// The connection is served on this goroutine: the handshake is done by
	// upgradeOnce, so that its options and upgrader do not stay on the stack
	// (see Server.ServeHTTP).
	t, sess, err := upgradeOnce(w, r, h, opts)
	if err != nil {
		return err
	}
	return sock.Serve(r.Context(), t, sess)
}

// upgradeOnce checks the handshake and the Origin of one request and upgrades
// it for h.
//
//go:noinline
func upgradeOnce(w http.ResponseWriter, r *http.Request, h sock.Handler, opts *Options) (*transport, *sock.Session, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	checkPatterns(o.OriginPatterns)
	if !checkHandshake(w, r) {
		return nil, nil, errors.New("sockhttp: bad WebSocket handshake")
	}
	if !checkOrigin(w, r, &o) {
		return nil, nil, errors.New("sockhttp: origin not allowed")
	}
	u := newUpgrader(&o)
	acc := Accept{Handler: h, Options: o.Session}
	ws, sub, err := handshake(w, r, &acc, &o, &u)
	if err != nil {
		return nil, nil, err
	}
	t, sess := newSession(ws, r, sub, &acc)
	return t, sess, nil
}

func checkOrigin(w http.ResponseWriter, r *http.Request, o *Options) bool {
	if o.InsecureSkipOriginCheck || originAllowed(r, o.OriginPatterns) {
		return true
	}
	http.Error(w, "sockhttp: origin not allowed", http.StatusForbidden)
	return false
}

// newSession makes the Session for acc on the connection ws that upgraded r
// with subprotocol sub, and its transport.
func newSession(ws *websocket.Conn, r *http.Request, sub string, acc *Accept) (*transport, *sock.Session) {
	sess := sock.NewSession(acc.Handler, sock.ConnInfo{Request: r, Subprotocol: sub}, acc.Options)
	return newTransport(ws, sess.Options().MaxMessageSize), sess
}

// handshake checks what the factory accepted, chooses the subprotocol and
// switches protocols. On failure the client has its answer.
func handshake(w http.ResponseWriter, r *http.Request, acc *Accept, o *Options, u *websocket.Upgrader) (*websocket.Conn, string, error) {
	if acc.Handler == nil {
		return nil, "", factoryBug(w, acc.Options, errNilHandler, "sockhttp: factory accepted with a nil Handler")
	}
	sub := acc.Subprotocol
	switch {
	case sub == "":
		sub = chooseSubprotocol(r, o.Subprotocols)
	case !offered(r, sub):
		return nil, "", subprotocolNotOffered(w, acc.Options, sub)
	}
	ws, err := u.Upgrade(w, r, responseHeader(acc.Header, sub))
	return ws, sub, err // on error gorilla has answered the client
}

var errNilHandler = errors.New("sockhttp: nil Handler")

// responseHeader returns the header of the 101 response: h and the chosen
// subprotocol, if any.
func responseHeader(h http.Header, sub string) http.Header {
	header := h.Clone()
	if sub != "" {
		if header == nil {
			header = http.Header{}
		}
		header.Set("Sec-WebSocket-Protocol", sub)
	}
	return header
}

// subprotocolNotOffered reports a factory that chose a subprotocol the client
// did not offer.
//
// It is not inlined, nor is factoryBug: fmt's and slog's argument buffers
// would otherwise enlarge handshake's frame, which sits under gorilla's
// Upgrade on the connection's goroutine, enough to grow its stack past
// 4 KiB for good (see Server.ServeHTTP).
//
//go:noinline
func subprotocolNotOffered(w http.ResponseWriter, opts *sock.Options, sub string) error {
	return factoryBug(w, opts, fmt.Errorf("sockhttp: subprotocol %q not offered", sub),
		"sockhttp: factory chose a subprotocol the client did not offer", "subprotocol", sub)
}

// factoryBug logs msg with args, answers 500 Internal Server Error and
// returns err. Not inlined, to keep handshake's frame small (see
// subprotocolNotOffered).
//
//go:noinline
func factoryBug(w http.ResponseWriter, opts *sock.Options, err error, msg string, args ...any) error {
	loggerOf(opts).Error(msg, args...)
	http.Error(w, "sockhttp: internal error", http.StatusInternalServerError)
	return err
}
