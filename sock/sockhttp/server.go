package sockhttp

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockkit/sockkit/sock"
)

// Server is an http.Handler that upgrades requests to WebSocket connections
// run by the handlers its factory makes, and keeps track of them so that
// [Server.Shutdown] can close them. Make one with [NewServer].
type Server struct {
	factory     Factory
	opts        Options
	connOptions *sock.Options // opts.ConnOptions, with the hooks of opts.Hooks
	budget      *Budget       // for messages still arriving
	origins     origins
	host        Host
	logger      *slog.Logger
	wrap        atomic.Pointer[func(sock.Handler, *http.Request) sock.Handler]

	ctx    context.Context // cancelled by Shutdown once it has drained the connections open when it began
	cancel context.CancelCauseFunc

	mu       sync.Mutex
	shutdown bool          // no new upgrades
	forced   bool          // a Shutdown's ctx ended: close sockets as soon as they are tracked
	forcing  chan struct{} // closed when forced is set
	draining sync.Once     // the drain runs once
	live     map[sock.Transport]liveConn
	cohorts  cohorts            // of the live connections, for the drain
	admitted int                // requests being accepted or served
	clients  map[netip.Addr]int // admitted, by client address, with MaxConnsPerClient
	wg       sync.WaitGroup
}

// NewServer returns a Server that serves WebSocket upgrades with handlers
// made by f. It panics if opts are malformed (an origin pattern path.Match
// rejects, a proxy that is no address, gorilla's settings with another
// Host), as http.ServeMux does on a malformed route: that is a mistake in
// the program, and it shows at start-up rather than on every request.
func NewServer(f Factory, opts *Options) *Server {
	s := &Server{factory: f, live: map[sock.Transport]liveConn{}, clients: map[netip.Addr]int{}, forcing: make(chan struct{})}
	if opts != nil {
		s.opts = *opts
	}
	var err error
	if s.origins, err = s.opts.validate(); err != nil {
		panic("sockhttp: NewServer: " + err.Error())
	}
	s.host = s.opts.host()
	s.connOptions = s.opts.connOptions()
	s.budget = newBudget(&s.opts)
	s.opts.Drain = s.opts.Drain.withDefaults()
	s.cohorts.size = s.opts.Drain.Batch
	s.logger = loggerOf(s.opts.ConnOptions)
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	return s
}

// WrapHandlers makes the server wrap every handler it accepts from now on
// with wrap, given the upgrade request, around any wrapping set before: a
// place for tracing, metrics or a test's observer. Connections accepted
// before are not affected. It is safe to call while the server serves.
func (s *Server) WrapHandlers(wrap func(h sock.Handler, r *http.Request) sock.Handler) {
	for {
		old := s.wrap.Load()
		next := wrap
		if old != nil {
			inner := *old
			next = func(h sock.Handler, r *http.Request) sock.Handler { return wrap(inner(h, r), r) }
		}
		if s.wrap.CompareAndSwap(old, &next) {
			return
		}
	}
}

// ServeHTTP checks the handshake and the Origin, asks the factory, upgrades,
// and runs the connection until it ends. During and after Shutdown it answers
// 503 Service Unavailable.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The handshake in open, apart: 120 bytes less under the whole connection (measured: 8 KiB idle stack without, path=ping).
	t, sess, ctx := s.open(w, r)
	if t == nil {
		return
	}
	defer s.done(t)
	_ = sock.Serve(ctx, t, sess)
}

// liveConn is what the server knows of a live connection.
type liveConn struct {
	client netip.Addr // if the limits need it
	cohort *cohort
}

// open admits r, decides its handshake, upgrades and tracks the new
// transport, returning it with the context that shuts it down. It returns
// nil when the client has had another answer.
func (s *Server) open(w http.ResponseWriter, r *http.Request) (sock.Transport, *sock.Session, context.Context) {
	client, refusal := s.admit(r, true)
	if refusal != nil {
		s.refuse(w, r, refusal)
		return nil, nil, nil
	}
	tracked := false
	defer func() {
		if !tracked { // refused, failed, or a panic in the factory, a wrapper or a hook
			s.release(client)
		}
	}()
	acc, refusal := s.negotiate(r)
	if refusal != nil {
		s.refuse(w, r, refusal)
		return nil, nil, nil
	}
	t, sess, err := upgrade(w, r, &acc, s.host, s.budget)
	if err != nil { // the host has answered the client
		s.opts.Hooks.refused(r, 0, err)
		return nil, nil, nil
	}
	s.opts.Hooks.upgraded(r)
	ctx := s.track(t, client)
	tracked = true
	return t, sess, ctx
}

// refuse answers r with the refusal, and tells the hooks.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, refusal *Refusal) {
	refusal.write(w)
	s.opts.Hooks.refused(r, refusal.status(), refusal)
}

// Negotiate decides what [Server.ServeHTTP] would answer the upgrade request
// r, by the same code, without upgrading: it checks the handshake and the
// Origin, asks the factory, and chooses the subprotocol. It returns the
// Accept ServeHTTP would serve, with the Subprotocol chosen, ConnOptions
// resolved, the handler wrapped (see [Server.WrapHandlers]), and Header the
// whole 101 response but for the extensions; or a [*Refusal] with the
// response the client would get, its Status set and its header keys
// canonical. Simulators and tests use it to run a server's negotiation
// without a socket (package sockt does). The connections it accepts are not
// the server's: they do not count towards MaxConns, and Shutdown does not
// close them.
func (s *Server) Negotiate(r *http.Request) (Accept, error) {
	if _, refusal := s.admit(r, false); refusal != nil {
		return Accept{}, refusal.sent()
	}
	acc, refusal := s.negotiate(r)
	if refusal != nil {
		return Accept{}, refusal.sent()
	}
	acc.Header = switchingHeader(r, acc.Header)
	return acc, nil
}

// negotiate checks r and asks the factory about it.
func (s *Server) negotiate(r *http.Request) (Accept, *Refusal) {
	if refusal := checkRequest(r, &s.origins); refusal != nil {
		return Accept{}, refusal
	}
	acc, err := s.factory(r)
	if err != nil {
		var refusal *Refusal
		if errors.As(err, &refusal) {
			return Accept{}, refusal
		}
		return Accept{}, logged(s.logger, internalError(err))
	}
	if acc.ConnOptions == nil {
		acc.ConnOptions = s.connOptions
	} else {
		acc.ConnOptions = (&Options{ConnOptions: acc.ConnOptions, Hooks: s.opts.Hooks}).connOptions()
	}
	if refusal := settle(r, &acc, s.opts.Subprotocols); refusal != nil {
		return Accept{}, logged(loggerOf(acc.ConnOptions), refusal)
	}
	if wrap := s.wrap.Load(); wrap != nil {
		acc.Handler = (*wrap)(acc.Handler, r)
	}
	return acc, nil
}

// logged logs a refusal for a bug of the factory's or of the options' and
// returns it.
func logged(l *slog.Logger, r *Refusal) *Refusal {
	l.Error("sockhttp: upgrade refused with 500", "err", r.err)
	return r
}

// admit counts one more request, if count, unless the server is shutting
// down or at one of its limits; it returns the client's address if the
// limits need it.
func (s *Server) admit(r *http.Request, count bool) (netip.Addr, *Refusal) {
	var client netip.Addr
	perClient := false // the per-client limit applies: the client has an address
	if s.opts.MaxConnsPerClient > 0 {
		client, perClient = s.origins.proxies.client(r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.shutdown:
		return client, s.unavailable(ErrShuttingDown)
	case s.opts.MaxConns > 0 && s.admitted >= s.opts.MaxConns,
		perClient && s.clients[client] >= s.opts.MaxConnsPerClient:
		return client, s.unavailable(ErrTooManyConns)
	}
	if count {
		s.admitted++
		if perClient {
			s.clients[client]++
		}
		s.wg.Add(1)
	}
	if !perClient {
		client = netip.Addr{} // released as no client's
	}
	return client, nil
}

// unavailable returns a 503 refusal for cause, with Retry-After.
func (s *Server) unavailable(cause error) *Refusal {
	wait := s.opts.RetryAfter
	if wait <= 0 {
		wait = defaultRetryAfter
	}
	return refuse(http.StatusServiceUnavailable, cause, "Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
}

const defaultRetryAfter = 5 * time.Second

// release uncounts a request admitted for client: it is over.
func (s *Server) release(client netip.Addr) {
	s.mu.Lock()
	s.admitted--
	if client.IsValid() {
		if s.clients[client]--; s.clients[client] <= 0 {
			delete(s.clients, client)
		}
	}
	s.mu.Unlock()
	s.wg.Done()
}

// track adds t, of client, to the live connections, in a cohort, and
// returns the context that shuts it down.
func (s *Server) track(t sock.Transport, client netip.Addr) context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cohorts.join(s.ctx)
	s.live[t] = liveConn{client, c}
	if s.forced { // upgraded while Shutdown was giving up on the others
		t.Close()
	}
	return c.ctx
}

// done removes t from the live connections: its request is over.
func (s *Server) done(t sock.Transport) {
	s.mu.Lock()
	c := s.live[t]
	delete(s.live, t)
	s.cohorts.leave(c.cohort)
	s.mu.Unlock()
	s.release(c.client)
}

// Shutdown refuses new upgrades with 503, closes every live connection
// with 1001 — or 1012 with [Drain].Restart; each handler's Terminate sees
// [sock.ReasonShutdown] — in batches as [Options].Drain says, and waits for
// them to finish their closing handshakes. If ctx ends first, the
// connections not drained yet are sent their close frame, every socket,
// and those of connections still upgrading, are closed at once, and
// Shutdown returns ctx's error without waiting further: their goroutines
// end as soon as their handlers' callbacks return. The drain runs once:
// calling Shutdown again, or from two goroutines, waits for the same drain
// with the new ctx.
//
// http.Server.Shutdown does not know hijacked connections, so call this too,
// e.g. from http.Server.RegisterOnShutdown.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutdown = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	s.draining.Do(func() { go s.drain(done) })
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.force()
	return ctx.Err()
}

// force gives up on the drain: the connections not drained yet get their
// close frame, and every socket is closed at once.
func (s *Server) force() {
	s.cancel(s.drainCause())
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.forced {
		s.forced = true
		close(s.forcing)
	}
	for t := range s.live {
		t.Close()
	}
}

// drainCause is the cause of the contexts that shut the connections down.
func (s *Server) drainCause() error {
	if s.opts.Drain.Restart {
		return sock.ErrRestart
	}
	return context.Canceled
}

// drain shuts the connections down a batch at a time — cohorts, as many
// at once as a batch holds — and then any still upgrading, unless a
// Shutdown gives up first, or every connection has ended (done). It runs
// once, whatever the number of Shutdown calls.
func (s *Server) drain(done <-chan struct{}) {
	cause := s.drainCause()
	for {
		batch := s.nextBatch()
		if len(batch) == 0 {
			break
		}
		for _, c := range batch {
			c.stop(cause)
		}
		if !s.undrained() {
			break
		}
		wait := time.NewTimer(s.opts.Drain.Interval)
		select {
		case <-wait.C:
		case <-s.forcing:
			wait.Stop()
			return
		case <-done:
			wait.Stop()
			s.cancel(cause)
			return
		}
	}
	s.cancel(cause)
}

// nextBatch marks as drained, and returns, the oldest cohorts not drained
// yet that have open connections, as many as a batch holds (one at least).
func (s *Server) nextBatch() []*cohort {
	s.mu.Lock()
	defer s.mu.Unlock()
	var batch []*cohort
	n := 0
	for _, c := range s.cohorts.list {
		if c.drained || c.live == 0 {
			continue
		}
		if len(batch) > 0 && n+c.live > s.opts.Drain.Batch {
			break
		}
		batch = append(batch, c)
		n += c.live
		c.drained = true
	}
	return batch
}

// undrained reports whether a cohort with open connections is left to
// drain.
func (s *Server) undrained() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.ContainsFunc(s.cohorts.list, func(c *cohort) bool { return !c.drained && c.live > 0 })
}

// upgrade makes the Session for acc, and has the host upgrade r for it.
func upgrade(w http.ResponseWriter, r *http.Request, acc *Accept, h Host, b *Budget) (sock.Transport, *sock.Session, error) {
	sess := sock.NewSession(acc.Handler, sock.ConnInfo{Request: r, Subprotocol: acc.Subprotocol}, acc.ConnOptions)
	t, err := h.Upgrade(w, r, acc.Header, Limits{MaxMessageSize: sess.Options().MaxMessageSize, Budget: b})
	return t, sess, err
}
