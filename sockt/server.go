package sockt

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockkit/sockkit/internal/wsurl"
	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// Server is a test's view of the user's real [sockhttp.Server]: the value
// production serves, with its factory, options, origin check, subprotocols
// and refusals. [Server.Connect] opens a connection with an upgrade request
// the test writes, as Phoenix's ChannelTest connect does: authentication
// and negotiation are tested like the rest.
//
// [NewServer] runs it in the simulator, where the factory sees a synthetic
// request and the handshake is decided by [sockhttp.Server.Negotiate], the
// code ServeHTTP runs; [DialServer] serves it on a loopback socket, where
// every request goes through ServeHTTP; [RunServer] runs one test both
// ways.
type Server struct {
	t    TB
	d    serverDriver
	opts Options
}

// serverDriver is what a Server needs of the simulator or of a loopback
// socket.
type serverDriver interface {
	// connect opens a connection with the upgrade request r; conn is nil
	// when the server refused it. Problems of sockt's own are fatal.
	connect(t TB, r *http.Request) (conn connDriver, h Handshake)
	advance(d time.Duration)
	shutdown(t TB)
	transcript(last int) (lines []string, total int) // the last events formatted (all, if last is 0), and how many there are
}

// NewServer runs srv in the simulator for the test. At cleanup each
// connection still open is closed by its client, and the test fails unless
// Terminate ran exactly once on each.
func NewServer(t TB, srv *sockhttp.Server, opts *Options) *Server {
	t.Helper()
	o := opts.withDefaults()
	return &Server{t: t, d: newSimServer(srv, &o), opts: o}
}

// DialServer serves srv on a loopback httptest server for the test;
// connections are made by a gorilla/websocket client. The server wraps its
// handlers with an observer for the test ([sockhttp.Server.WrapHandlers]),
// and requests carry a header X-Sockt-Conn that tells them apart. At cleanup
// each client closes its connection if it is still open, srv shuts down, and
// the test fails unless Terminate ran exactly once on each connection and
// the server's connections ended.
func DialServer(t TB, srv *sockhttp.Server, opts *Options) *Server {
	t.Helper()
	o := opts.withDefaults()
	return &Server{t: t, d: newLoopServer(t, srv, &o), opts: o}
}

// DialURL connects the test's connections to a live server at rawURL —
// ws:// or wss:// (http and https are taken for them; no scheme means
// ws://) — as a client would, to replay what a test or a recorded session
// does against a deployed endpoint. The targets given to [Server.Connect]
// are resolved against rawURL as links are: "/chat?room=1" replaces its
// path. The server's handlers are out of sight, so what needs them fails:
// [Conn.SendInfo], [Conn.ExpectTerminate], [Server.Shutdown]; a
// connection's end stands for its Terminate. At cleanup each client closes
// its connection if it is still open and waits for the server to end it.
func DialURL(t TB, rawURL string, opts *Options) *Server {
	t.Helper()
	o := opts.withDefaults()
	u, err := wsurl.Parse(rawURL)
	if err != nil {
		t.Fatalf("sockt: DialURL: %v", err)
	}
	return &Server{t: t, d: newRemoteServer(t, u, &o), opts: o}
}

// RunServer runs test twice as subtests, "sim" with a server started by
// [NewServer] and "loopback" with one started by [DialServer], each on a
// server newServer makes: the one production serves.
func RunServer(t *testing.T, newServer func() *sockhttp.Server, opts *Options, test func(t *testing.T, s *Server)) {
	t.Helper()
	t.Run("sim", func(t *testing.T) { test(t, NewServer(t, newServer(), opts)) })
	t.Run("loopback", func(t *testing.T) { test(t, DialServer(t, newServer(), opts)) })
}

// Connect opens a connection with the upgrade request r, built with
// httptest.NewRequest("GET", "/path?query", nil) and the headers the client
// would send: Authorization, Cookie, Origin, Sec-WebSocket-Protocol for the
// subprotocols it offers. Nil means a GET of "/". The handshake headers
// (Connection, Upgrade, Sec-WebSocket-Version and -Key) are added where r
// lacks them; a request that is then not a valid handshake tests a
// malformed one, and over loopback is sent by net/http. A request offering
// permessage-deflate is dialled with compression over loopback.
//
// Connect returns once the server has answered and, if it accepted, Init
// has run. A refused connection is a Conn too: assert it with
// [Conn.ExpectRefused]; driving it fails the test.
func (s *Server) Connect(r *http.Request) *Conn {
	s.t.Helper()
	if r == nil {
		r = rootRequest()
	}
	d, h := s.d.connect(s.t, r)
	return newConn(s, r, d, h)
}

// World returns the simulated world the server runs in, for what only the
// simulator can do (see package sim), or nil over loopback.
func (s *Server) World() *sim.World {
	if d, ok := s.d.(*simServer); ok {
		return d.world
	}
	return nil
}

// Advance lets d pass. In the simulator virtual time jumps at once, firing
// what falls due; over loopback Advance sleeps, so keep d short in tests run
// both ways.
func (s *Server) Advance(d time.Duration) { s.d.advance(d) }

// Shutdown shuts the server down for real with [sockhttp.Server.Shutdown]:
// every connection gets close 1001 and Terminate sees
// [sock.ReasonShutdown], and later Connects are refused with 503. It
// returns once the connections have ended.
func (s *Server) Shutdown() {
	s.t.Helper()
	s.mustBeInProcess("Shutdown")
	s.d.shutdown(s.t)
}

// mustBeInProcess fails the test if the server is a live one, out of
// sight ([DialURL]).
func (s *Server) mustBeInProcess(what string) {
	if d, ok := s.d.(*loopServer); ok && d.remote() {
		s.t.Helper()
		s.t.Fatalf("sockt: %s needs the server in the test's process (NewServer or DialServer), not a live one", what)
	}
}

// rootRequest returns what httptest.NewRequest("GET", "/", nil) returns,
// without parsing a request line: a test may make many connections.
func rootRequest() *http.Request {
	return &http.Request{
		Method: http.MethodGet, URL: &url.URL{Path: "/"}, RequestURI: "/",
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: http.NoBody, Host: "example.com", RemoteAddr: "192.0.2.1:1234",
	}
}

// handshakeHeaders are the headers of an opening handshake, with their keys
// in canonical form.
var handshakeHeaders = [...][2]string{
	{"Connection", "Upgrade"}, {"Upgrade", "websocket"},
	{"Sec-Websocket-Version", "13"}, {"Sec-Websocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
}

// upgradeRequest completes a copy of r as a WebSocket opening handshake,
// adding the handshake headers r lacks, and reports whether the result is a
// valid handshake a WebSocket client library would send: a GET with the
// upgrade headers, version 13, a key of 16 bytes, and no extension offered
// but permessage-deflate.
func upgradeRequest(r *http.Request) (*http.Request, bool) {
	r = r.Clone(r.Context())
	for _, h := range handshakeHeaders {
		if _, set := r.Header[h[0]]; !set {
			r.Header[h[0]] = []string{h[1]}
		}
	}
	key, err := base64.StdEncoding.DecodeString(r.Header.Get("Sec-WebSocket-Key"))
	ext := r.Header.Get("Sec-WebSocket-Extensions")
	return r, r.Method == http.MethodGet && websocket.IsWebSocketUpgrade(r) &&
		r.Header.Get("Sec-WebSocket-Version") == "13" && err == nil && len(key) == 16 &&
		(ext == "" || strings.HasPrefix(ext, "permessage-deflate"))
}

// Handshake is the server's answer to a connection's upgrade request.
type Handshake struct {
	// Status is 101 Switching Protocols when the server accepted, else the
	// refusal's status.
	Status int
	// Header holds the response headers: over loopback all of them, in the
	// simulator those sockhttp and the factory set (Content-Type,
	// X-Content-Type-Options, Date and Content-Length aside).
	Header http.Header
	// Body is the refusal's body, "" when accepted. Over loopback it is cut
	// at 1 KiB: gorilla's dialer keeps no more.
	Body string
	// Subprotocol is the subprotocol the server chose, "" if none.
	Subprotocol string
}

// accepted reports whether the server upgraded.
func (h Handshake) accepted() bool { return h.Status == http.StatusSwitchingProtocols }

// refused returns the Handshake of a refusal.
func refused(status int, header http.Header, body string) Handshake {
	return Handshake{Status: status, Header: header, Body: body}
}

// The frames of the server's handshake and of the connection itself are
// handled by connDriver.
type connDriver interface {
	send(f sock.Frame)
	// sendRaw writes b on the socket; the simulator has none.
	sendRaw(b []byte) error
	info(v any) error
	// next returns the next frame the client has read, waiting up to wait.
	next(wait time.Duration) (sock.Frame, bool)
	// terminated waits up to wait for Terminate and returns the reason it
	// received and how many times it ran.
	terminated(wait time.Duration) (sock.Reason, int)
	// bugs returns the handler bugs sock survived on the connection, as the
	// trace tells them.
	bugs() []string
	// end ends the connection if it is still open, the client closing it,
	// and returns every frame the client received and what Terminate
	// received, if it ran.
	end() (frames []sock.Frame, r sock.Reason, terminated bool)
	// finish ends the connection if it is still open and releases
	// everything; it reports a problem, or "".
	finish() string
}
