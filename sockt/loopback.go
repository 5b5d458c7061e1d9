package sockt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// connHeader tells the loopback server which test connection a request is.
const connHeader = "X-Sockt-Conn"

// loopServer serves a server's connections on a loopback socket, or
// connects to a live server's.
type loopServer struct {
	start time.Time
	srv   *sockhttp.Server // nil for a live server
	base  *url.URL         // where connections go: ws:// or wss://
	http  *http.Client     // for malformed handshakes
	opts  *Options

	mu     sync.Mutex
	events []sim.Event
	conns  map[string]*loopConn // by connHeader
}

// newLoopServer serves srv on loopback, its handlers observed, until the
// test's cleanup, which runs after its connections' cleanups.
func newLoopServer(t TB, srv *sockhttp.Server, o *Options) *loopServer {
	s := &loopServer{start: time.Now(), srv: srv, opts: o, conns: map[string]*loopConn{}}
	srv.WrapHandlers(func(h sock.Handler, r *http.Request) sock.Handler {
		s.mu.Lock()
		d := s.conns[r.Header.Get(connHeader)]
		s.mu.Unlock()
		if d == nil { // a request from outside the test
			return h
		}
		return sim.Observe(h, d.observe)
	})
	hs := httptest.NewServer(srv)
	s.base, _ = url.Parse("ws" + strings.TrimPrefix(hs.URL, "http"))
	s.http = hs.Client()
	t.Cleanup(func() {
		defer hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), o.Wait)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("sockt: the server's connections did not end: %v", err)
		}
	})
	return s
}

// newRemoteServer connects to the live server at base, until the test's
// cleanup.
func newRemoteServer(t TB, base *url.URL, o *Options) *loopServer {
	s := &loopServer{start: time.Now(), base: base, opts: o, conns: map[string]*loopConn{},
		http: &http.Client{Transport: &http.Transport{TLSClientConfig: o.TLSClientConfig}}}
	t.Cleanup(s.http.CloseIdleConnections)
	return s
}

// remote reports whether the server is a live one, out of the test's sight.
func (s *loopServer) remote() bool { return s.srv == nil }

func (s *loopServer) record(conn int, e sim.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.At, e.Conn = time.Since(s.start).Truncate(time.Millisecond), uint64(conn)
	// Format now: the handler's goroutine may change what e points to.
	s.events = append(s.events, sim.Event{At: e.At, Conn: e.Conn, Kind: e.Kind, Detail: sim.Note(e.Text())})
}

func (s *loopServer) transcript(last int) ([]string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return tail(s.events, last)
}

func (s *loopServer) advance(d time.Duration) {
	s.record(0, sim.Event{Kind: sim.Clock, Detail: sim.Note("sleep " + d.String())})
	time.Sleep(d)
}

func (s *loopServer) shutdown(t TB) {
	s.record(0, sim.Event{Kind: sim.ShutdownBegan, Detail: sim.Note("server going away")})
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.Wait)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		t.Errorf("sockt: Shutdown: %v", err)
	}
}

// connect sends the upgrade request r and, if the server accepts, waits for
// Init.
func (s *loopServer) connect(t TB, r *http.Request) (connDriver, Handshake) {
	t.Helper()
	s.mu.Lock()
	n := len(s.conns) + 1
	d := &loopConn{server: s, n: n, frames: make(chan sock.Frame, 1024), opened: make(chan struct{}),
		ended: make(chan struct{}), quit: make(chan struct{}), readerDone: make(chan struct{})}
	s.conns[strconv.Itoa(n)] = d
	s.mu.Unlock()

	d.record(sim.ClientSent, "connect")
	r, standard := upgradeRequest(r)
	if !s.remote() { // a live server is none of the test's business
		r.Header.Set(connHeader, strconv.Itoa(n))
	}
	if !standard {
		return nil, d.noteRefusal(s.send(t, r))
	}
	header := r.Header.Clone()
	for _, k := range []string{"Connection", "Upgrade", "Sec-Websocket-Version", "Sec-Websocket-Key", "Sec-Websocket-Extensions"} {
		header.Del(k) // the dialer sets them
	}
	if !s.remote() {
		// A live server gets the URL's host, unless the request has a Host
		// header of its own (gorilla sends that one): not the placeholder
		// host of httptest.NewRequest.
		header.Set("Host", r.Host)
	}
	dialer := websocket.Dialer{HandshakeTimeout: s.opts.Wait, TLSClientConfig: s.opts.TLSClientConfig,
		EnableCompression: r.Header.Get("Sec-WebSocket-Extensions") != ""}
	client, resp, err := dialer.Dial(s.base.ResolveReference(r.URL).String(), header)
	if err != nil {
		if resp == nil {
			t.Fatalf("sockt: dial %s: %v", s.base.ResolveReference(r.URL), err)
		}
		body, _ := io.ReadAll(resp.Body)
		return nil, d.noteRefusal(refused(resp.StatusCode, resp.Header, string(body)))
	}
	d.client = client
	go d.read()
	if s.remote() { // its Init is out of sight
		return d, Handshake{Status: http.StatusSwitchingProtocols, Header: resp.Header, Subprotocol: client.Subprotocol()}
	}
	select {
	case <-d.opened:
	case <-time.After(s.opts.Wait):
		d.client.Close()
		<-d.readerDone
		t.Fatalf("sockt: Init did not run within %v", s.opts.Wait)
	}
	return d, Handshake{Status: http.StatusSwitchingProtocols, Header: resp.Header, Subprotocol: client.Subprotocol()}
}

// send sends a malformed upgrade request with net/http and returns the
// refusal.
func (s *loopServer) send(t TB, r *http.Request) Handshake {
	t.Helper()
	u := s.base.ResolveReference(r.URL)
	u.Scheme = strings.Replace(u.Scheme, "ws", "http", 1)
	r.RequestURI, r.URL, r.Host = "", u, u.Host
	resp, err := s.http.Do(r)
	if err != nil {
		t.Fatalf("sockt: send the upgrade request: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		t.Fatalf("sockt: the server accepted a malformed handshake (%s %s), which sockt cannot drive over loopback", r.Method, r.URL.RequestURI())
	}
	body, _ := io.ReadAll(resp.Body)
	return refused(resp.StatusCode, resp.Header, string(body))
}

// noteRefusal notes in the transcript that the server refused the connection.
func (d *loopConn) noteRefusal(h Handshake) Handshake {
	d.record(sim.TransportClosed, fmt.Sprintf("refused: %d %q", h.Status, h.Body))
	return h
}

// loopConn runs a connection over a real socket: the client is the test's
// goroutine plus a reader goroutine, the server is sockhttp.
type loopConn struct {
	server *loopServer
	n      int
	client *websocket.Conn
	frames chan sock.Frame // what the client read, in order

	mu           sync.Mutex
	log          []sock.Frame // every frame the client read, in order
	conn         *sock.Conn   // the server side, known once Init is called
	terminations int
	reason       sock.Reason
	bugList      []string
	opened       chan struct{} // closed once Init has returned (or panicked)
	ended        chan struct{} // closed by the first Terminate
	quit         chan struct{} // closed when the test is over
	readerDone   chan struct{}
}

func (d *loopConn) record(k sim.Kind, note string) {
	d.server.record(d.n, sim.Event{Kind: k, Detail: sim.Note(note)})
}

func (d *loopConn) recordFrame(k sim.Kind, f sock.Frame) {
	d.server.record(d.n, sim.Event{Kind: k, Frame: f})
}

// observe records the handler's callbacks, notes the connection at Init and
// when Init is over, and counts Terminate calls; it runs on the server's
// goroutine.
func (d *loopConn) observe(c *sock.Conn, e sim.Event) {
	d.server.record(d.n, e)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		d.conn = c
	}
	switch e.Kind {
	case sim.Returned, sim.Bug, sim.Terminated: // Init's is the first
		select {
		case <-d.opened:
		default:
			close(d.opened)
		}
	}
	switch e.Kind {
	case sim.Bug:
		d.bugList = append(d.bugList, e.Text())
	case sim.Terminated:
		d.terminations++
		if d.terminations == 1 {
			d.reason, _ = e.Detail.(sock.Reason)
			close(d.ended)
		}
	}
}

// read runs on its own goroutine until the client's connection fails.
func (d *loopConn) read() {
	defer close(d.readerDone)
	control := func(op sock.Opcode) func(string) error {
		return func(data string) error {
			d.received(sock.Frame{Op: op, Payload: []byte(data)})
			if op != sock.OpPing {
				return nil
			}
			// Answer as gorilla's default ping handler does.
			err := d.client.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
			if errors.Is(err, websocket.ErrCloseSent) {
				return nil
			}
			return err
		}
	}
	d.client.SetPingHandler(control(sock.OpPing))
	d.client.SetPongHandler(control(sock.OpPong))
	for {
		op, p, err := d.client.ReadMessage()
		var ce *websocket.CloseError
		switch {
		case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure:
			d.received(sock.CloseFrame(sock.CloseCode(ce.Code), ce.Text)) // gorilla has answered it
			return
		case err != nil:
			d.record(sim.TransportClosed, "transport: "+err.Error())
			return
		}
		d.received(sock.Frame{Op: sock.Opcode(op), Payload: p})
	}
}

// received records a frame the client read and passes it to the test,
// unless the test is over.
func (d *loopConn) received(f sock.Frame) {
	d.recordFrame(sim.ServerWrote, f)
	d.mu.Lock()
	d.log = append(d.log, f)
	d.mu.Unlock()
	select {
	case d.frames <- f:
	case <-d.quit:
	}
}

func (d *loopConn) send(f sock.Frame) {
	d.recordFrame(sim.ClientSent, f)
	var err error
	if f.Op.IsData() {
		err = d.client.WriteMessage(int(f.Op), f.Payload)
	} else {
		err = d.client.WriteControl(int(f.Op), f.Payload, time.Now().Add(time.Second))
	}
	if err != nil {
		d.record(sim.ClientFault, "send failed: "+err.Error())
	}
}

// sendRaw writes b in one Write, which no frame gorilla's client writes
// from the reader's goroutine (a pong, a close reply) can land inside: a
// connection's writes are whole, one after the other. Each of gorilla's
// writes sets its own deadline.
func (d *loopConn) sendRaw(b []byte) error {
	shown := b[:min(len(b), 32)]
	d.record(sim.ClientSent, fmt.Sprintf("raw %d bytes: % x", len(b), shown))
	nc := d.client.NetConn()
	nc.SetWriteDeadline(time.Now().Add(d.server.opts.Wait))
	if _, err := nc.Write(b); err != nil {
		d.record(sim.ClientFault, "send failed: "+err.Error())
	}
	return nil
}

func (d *loopConn) info(v any) error {
	d.record(sim.InfoSent, fmt.Sprint(v))
	d.mu.Lock()
	conn := d.conn
	d.mu.Unlock()
	err := conn.SendInfo(v)
	if err != nil {
		d.record(sim.InfoSent, "refused: "+err.Error())
	}
	return err
}

func (d *loopConn) next(wait time.Duration) (sock.Frame, bool) {
	select {
	case f := <-d.frames:
		return f, true
	case <-d.readerDone: // the client read its last frame: none will come
		select {
		case f := <-d.frames:
			return f, true
		default:
			return sock.Frame{}, false
		}
	case <-time.After(wait):
		return sock.Frame{}, false
	}
}

func (d *loopConn) terminated(wait time.Duration) (sock.Reason, int) {
	if d.server.remote() {
		// A live server's handlers are out of sight: the connection's end
		// stands for Terminate, with a reason unknown.
		select {
		case <-d.readerDone:
			return sock.Reason{}, 1
		case <-time.After(wait):
			return sock.Reason{}, 0
		}
	}
	select {
	case <-d.ended:
	case <-time.After(wait):
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.reason, d.terminations
}

func (d *loopConn) bugs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.bugList...)
}

// close sends a close frame with text unless Terminate has run, and waits
// for Terminate.
func (d *loopConn) close(text string) (sock.Reason, int) {
	if _, n := d.terminated(0); n == 0 {
		d.send(sock.CloseFrame(sock.CloseNormal, text))
	}
	return d.terminated(d.server.opts.Wait)
}

func (d *loopConn) end() ([]sock.Frame, sock.Reason, bool) {
	r, n := d.close("done")
	select { // the client reads up to the close frame, or the transport's end
	case <-d.readerDone:
	case <-time.After(d.server.opts.Wait):
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.log), r, n > 0
}

func (d *loopConn) finish() string {
	_, n := d.close("test over")
	close(d.quit)
	d.client.Close()
	<-d.readerDone
	switch {
	case d.server.remote() && n == 0:
		return fmt.Sprintf("connection %d: the server did not end it within %v", d.n, d.server.opts.Wait)
	case n != 1:
		return fmt.Sprintf("connection %d: Terminate ran %d times, want exactly once", d.n, n)
	}
	return ""
}
