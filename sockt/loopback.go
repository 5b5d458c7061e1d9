package sockt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
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

// Dial serves handlers made by f behind sockhttp on a loopback httptest
// server, connects a gorilla/websocket client to it and waits for Init.
// [Conn.Connect] opens more connections to the same server. At cleanup each
// client closes its connection if it is still open, the server shuts down and
// waits for its connections, and the test fails unless Terminate ran exactly
// once on each.
func Dial(t TB, f Factory, opts *Options) *Conn {
	t.Helper()
	o := opts.withDefaults()
	s := &loopServer{start: time.Now(), factory: f, opts: o, conns: map[int]*loopDriver{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s.dial(t)
}

// loopServer is the server side shared by a test's loopback connections.
type loopServer struct {
	start   time.Time
	factory Factory
	opts    Options
	srv     *httptest.Server
	served  sync.WaitGroup // the connections' server goroutines

	mu     sync.Mutex
	events []sim.Event
	conns  map[int]*loopDriver // by number, from 1
	live   int                 // connections not yet finished
}

func (s *loopServer) record(conn int, e sim.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.At, e.Conn = time.Since(s.start).Truncate(time.Millisecond), conn
	// Format now: the handler's goroutine may change what e points to.
	s.events = append(s.events, sim.Event{At: e.At, Conn: e.Conn, Kind: e.Kind, Detail: sim.Note(e.Text())})
}

// serveHTTP upgrades the request of one test connection and serves it until
// it ends, with a context of its own, so that [Conn.Shutdown] shuts down that
// connection alone.
func (s *loopServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.Header.Get(connHeader))
	s.mu.Lock()
	d := s.conns[n]
	s.mu.Unlock()
	if d == nil {
		http.Error(w, "sockt: unknown test connection", http.StatusNotFound)
		return
	}
	s.served.Add(1) // before the handshake ends, so before release can wait
	defer s.served.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d.mu.Lock()
	d.cancel = cancel
	d.mu.Unlock()
	h := sim.Observe(s.factory(), d.observe)
	_ = sockhttp.Upgrade(w, r.WithContext(ctx), h, &sockhttp.Options{ConnOptions: s.opts.Session})
}

// dial opens one more client connection and waits for its Init.
func (s *loopServer) dial(t TB) *Conn {
	t.Helper()
	s.mu.Lock()
	s.live++
	n := len(s.conns) + 1
	d := &loopDriver{server: s, n: n, frames: make(chan sock.Frame, 1024), opened: make(chan struct{}),
		ended: make(chan struct{}), quit: make(chan struct{}), readerDone: make(chan struct{})}
	s.conns[n] = d
	s.mu.Unlock()
	c := newConn(t, d, s.opts) // its cleanup closes the server after the last connection

	url := "ws" + strings.TrimPrefix(s.srv.URL, "http")
	client, _, err := websocket.DefaultDialer.Dial(url, http.Header{connHeader: {strconv.Itoa(n)}})
	if err != nil {
		close(d.readerDone)
		t.Fatalf("sockt: dial the loopback server: %v", err)
	}
	d.client = client
	go d.read()
	select {
	case <-d.opened:
	case <-time.After(s.opts.Wait):
		t.Fatalf("sockt: Init did not run within %v", s.opts.Wait)
	}
	return c
}

// release shuts the server down once its last connection is finished.
func (s *loopServer) release() error {
	s.mu.Lock()
	s.live--
	last := s.live == 0
	s.mu.Unlock()
	if !last {
		return nil
	}
	defer s.srv.Close()
	served := make(chan struct{})
	go func() {
		s.served.Wait()
		close(served)
	}()
	select {
	case <-served:
		return nil
	case <-time.After(s.opts.Wait):
		return fmt.Errorf("still serving after %v", s.opts.Wait)
	}
}

// loopDriver runs a Conn over a real socket: the client is the test's
// goroutine plus a reader goroutine, the server is sockhttp.
type loopDriver struct {
	server *loopServer
	n      int
	client *websocket.Conn
	frames chan sock.Frame // what the client read, in order

	mu           sync.Mutex
	conn         *sock.Conn         // the server side, known once Init runs
	cancel       context.CancelFunc // shuts the server side down
	terminations int
	reason       sock.Reason
	opened       chan struct{} // closed by Init
	ended        chan struct{} // closed by the first Terminate
	quit         chan struct{} // closed when the test is over
	readerDone   chan struct{}
}

func (d *loopDriver) record(k sim.Kind, note string) {
	d.server.record(d.n, sim.Event{Kind: k, Detail: sim.Note(note)})
}

func (d *loopDriver) recordFrame(k sim.Kind, f sock.Frame) {
	d.server.record(d.n, sim.Event{Kind: k, Frame: f})
}

// observe records the handler's callbacks, notes the connection at Init and
// counts Terminate calls; it runs on the server's goroutine.
func (d *loopDriver) observe(c *sock.Conn, e sim.Event) {
	d.server.record(d.n, e)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		d.conn = c
		close(d.opened)
	}
	if r, ok := e.Detail.(sock.Reason); ok && e.Kind == sim.Terminated {
		d.terminations++
		if d.terminations == 1 {
			d.reason = r
			close(d.ended)
		}
	}
}

// read runs on its own goroutine until the client's connection fails.
func (d *loopDriver) read() {
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
			d.record(sim.Closed, "transport: "+err.Error())
			return
		}
		d.received(sock.Frame{Op: sock.Opcode(op), Payload: p})
	}
}

// received records a frame the client read and passes it to the test,
// unless the test is over.
func (d *loopDriver) received(f sock.Frame) {
	d.recordFrame(sim.ServerWrote, f)
	select {
	case d.frames <- f:
	case <-d.quit:
	}
}

func (d *loopDriver) connect(t TB) *Conn {
	t.Helper()
	return d.server.dial(t)
}

func (d *loopDriver) send(f sock.Frame) {
	d.recordFrame(sim.ClientSent, f)
	var err error
	switch f.Op {
	case sock.OpText, sock.OpBinary:
		err = d.client.WriteMessage(int(f.Op), f.Payload)
	default:
		err = d.client.WriteControl(int(f.Op), f.Payload, time.Now().Add(time.Second))
	}
	if err != nil {
		d.record(sim.ClientFault, "send failed: "+err.Error())
	}
}

func (d *loopDriver) info(v any) error {
	d.record(sim.Info, fmt.Sprint(v))
	d.mu.Lock()
	conn := d.conn
	d.mu.Unlock()
	err := conn.SendInfo(v)
	if err != nil {
		d.record(sim.Info, "refused: "+err.Error())
	}
	return err
}

func (d *loopDriver) advance(t time.Duration) {
	d.record(sim.Clock, "sleep "+t.String())
	time.Sleep(t)
}

func (d *loopDriver) shutdown() {
	d.record(sim.Info, "shutdown")
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cancel()
}

func (d *loopDriver) transcript() []string {
	d.server.mu.Lock()
	defer d.server.mu.Unlock()
	return sim.Trace(d.server.events).Lines()
}

func (d *loopDriver) next(wait time.Duration) (sock.Frame, bool) {
	select {
	case f := <-d.frames:
		return f, true
	case <-time.After(wait):
		return sock.Frame{}, false
	}
}

func (d *loopDriver) terminated(wait time.Duration) (sock.Reason, int) {
	select {
	case <-d.ended:
	case <-time.After(wait):
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.reason, d.terminations
}

func (d *loopDriver) finish(o *Options) string {
	var n int
	if d.client != nil {
		if _, n = d.terminated(0); n == 0 {
			d.send(sock.CloseFrame(sock.CloseNormal, "test over"))
		}
		_, n = d.terminated(o.Wait)
	}
	close(d.quit)
	if d.client != nil {
		d.client.Close()
	}
	<-d.readerDone
	shutdownErr := d.server.release()
	switch {
	case n != 1:
		return fmt.Sprintf("connection %d: Terminate ran %d times, want exactly once", d.n, n)
	case shutdownErr != nil:
		return "the server's connections did not end: " + shutdownErr.Error()
	}
	return ""
}
