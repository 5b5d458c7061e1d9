package sockt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockkit/sockkit/sim"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// Dial serves a handler made by f behind sockhttp on a loopback httptest
// server, connects a gorilla/websocket client to it and waits for Init. At
// cleanup the client closes the connection if it is still open, the server
// shuts down and waits for its connections, and the test fails unless
// Terminate ran exactly once.
func Dial(t testing.TB, f Factory, opts *Options) *Conn {
	t.Helper()
	o := opts.withDefaults()
	d := &loopDriver{start: time.Now(), frames: make(chan sock.Frame, 1024),
		opened: make(chan struct{}), ended: make(chan struct{}), quit: make(chan struct{}), readerDone: make(chan struct{})}
	d.ws = sockhttp.Handler(func(*http.Request) (sockhttp.Accept, error) {
		return sockhttp.Accept{Handler: sim.Observe(f(), d.observe, d.terminate), Options: o.Session}, nil
	}, nil)
	d.srv = httptest.NewServer(d.ws)
	client, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(d.srv.URL, "http"), nil)
	if err != nil {
		d.srv.Close()
		t.Fatalf("sockt: dial the loopback server: %v", err)
	}
	d.client = client
	go d.read()
	c := newConn(t, d, o)
	select {
	case <-d.opened:
	case <-time.After(o.Wait):
		t.Fatalf("sockt: Init did not run within %v", o.Wait)
	}
	return c
}

// loopDriver runs a Conn over a real socket: the client is the test's
// goroutine plus a reader goroutine, the server is sockhttp.
type loopDriver struct {
	start  time.Time
	srv    *httptest.Server
	ws     *sockhttp.Server
	client *websocket.Conn
	frames chan sock.Frame // what the client read, in order

	mu           sync.Mutex
	lines        []string
	conn         *sock.Conn // the server side, known once Init runs
	opened       chan struct{}
	terminations int
	reason       sock.Reason
	ended        chan struct{} // closed by the first Terminate
	quit         chan struct{} // closed when the test is over
	readerDone   chan struct{}
}

func (d *loopDriver) record(k sim.Kind, text string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lines = append(d.lines, sim.Event{At: time.Since(d.start).Truncate(time.Millisecond), Conn: 1, Kind: k, Text: text}.String())
}

// observe records the handler's callbacks; it runs on the server's goroutine.
func (d *loopDriver) observe(c *sock.Conn, k sim.Kind, text string) {
	d.record(k, text)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		d.conn = c
		close(d.opened)
	}
}

// terminate counts Terminate calls; it runs on the server's goroutine.
func (d *loopDriver) terminate(r sock.Reason) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.terminations++
	if d.terminations == 1 {
		d.reason = r
		close(d.ended)
	}
}

// read runs on its own goroutine until the client's connection fails.
func (d *loopDriver) read() {
	defer close(d.readerDone)
	defer close(d.frames)
	control := func(op sock.Opcode, reply bool) func(string) error {
		return func(data string) error {
			d.record(sim.ServerWrote, sock.Frame{Op: op, Payload: []byte(data)}.String())
			d.deliver(sock.Frame{Op: op, Payload: []byte(data)})
			if reply { // answer pings as gorilla's default handler does
				err := d.client.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
				if errors.Is(err, websocket.ErrCloseSent) {
					return nil
				}
				return err
			}
			return nil
		}
	}
	d.client.SetPingHandler(control(sock.OpPing, true))
	d.client.SetPongHandler(control(sock.OpPong, false))
	for {
		op, p, err := d.client.ReadMessage()
		var ce *websocket.CloseError
		switch {
		case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure:
			f := sock.CloseFrame(sock.CloseCode(ce.Code), ce.Text)
			d.record(sim.ServerWrote, f.String())
			d.deliver(f) // gorilla's close handler has answered it
			return
		case err != nil:
			d.record(sim.Closed, "transport: "+err.Error())
			return
		}
		f := sock.Frame{Op: sock.Opcode(op), Payload: p}
		d.record(sim.ServerWrote, f.String())
		d.deliver(f)
	}
}

// deliver passes a frame to the test, unless the test is over.
func (d *loopDriver) deliver(f sock.Frame) {
	select {
	case d.frames <- f:
	case <-d.quit:
	}
}

func (d *loopDriver) send(f sock.Frame) {
	d.record(sim.ClientSent, f.String())
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
	err := conn.Send(v)
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
	go d.ws.Shutdown(context.Background()) // returns once the connection is over
}

func (d *loopDriver) transcript() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.lines...)
}

func (d *loopDriver) next(wait time.Duration) (sock.Frame, bool) {
	select {
	case f, ok := <-d.frames:
		return f, ok
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
	if _, n := d.terminated(0); n == 0 {
		d.send(sock.CloseFrame(sock.CloseNormal, "test over"))
	}
	_, n := d.terminated(o.Wait)
	ctx, cancel := context.WithTimeout(context.Background(), o.Wait)
	defer cancel()
	shutdownErr := d.ws.Shutdown(ctx)
	close(d.quit)
	d.client.Close()
	d.srv.Close()
	<-d.readerDone
	switch {
	case n != 1:
		return fmt.Sprintf("Terminate ran %d times, want exactly once", n)
	case shutdownErr != nil:
		return "the server's connections did not end: " + shutdownErr.Error()
	}
	return ""
}
