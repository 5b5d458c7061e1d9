package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/sockkit/sockkit/sock/sockgws"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The echo, on both hosts: messages back as they came, an oversize one
// closed with 1009.
func TestEchoServer(t *testing.T) {
	for name, host := range map[string]sockhttp.Host{"gorilla": nil, "gws": sockgws.Host(nil)} {
		t.Run(name, func(t *testing.T) { testEchoServer(t, host) })
	}
}

func testEchoServer(t *testing.T, host sockhttp.Host) {
	ws := newServer(1024, host)
	srv := httptest.NewServer(ws)
	defer srv.Close()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	for _, m := range []struct {
		typ  int
		data []byte
	}{{websocket.TextMessage, []byte("héllo")}, {websocket.BinaryMessage, []byte{0, 1, 2}}} {
		c.WriteMessage(m.typ, m.data)
		typ, got, err := c.ReadMessage()
		if err != nil || typ != m.typ || !bytes.Equal(got, m.data) {
			t.Errorf("echo of %q (type %d) = %q (type %d), %v", m.data, m.typ, got, typ, err)
		}
	}

	c.WriteMessage(websocket.BinaryMessage, make([]byte, 1025)) // over -max-message
	_, _, err = c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
		t.Errorf("after an oversize message: %v, want close 1009", err)
	}
	if err := ws.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// bound is how long a test waits for what should come at once, so that a
// failing test stops by itself.
const bound = 5 * time.Second

// started is a server run by serve on a loopback port, the WebSocket server
// at / and upload, which reads a whole request body, at POST /upload.
type started struct {
	addr   string
	cancel context.CancelFunc // begins the shutdown
	done   chan struct{}      // closed when serve has returned err
	err    error
}

// upload answers 204 once it has read the whole request body, 400 if the
// body does not come. It tells reading when it has begun.
func upload(reading chan<- struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var b [1]byte
		_, err := io.ReadFull(r.Body, b[:])
		if reading != nil {
			close(reading)
		}
		if err == nil {
			_, err = io.Copy(io.Discard, r.Body)
		}
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// start runs serve with srv, whose handler is set to ws at / and h at
// POST /upload, until the test ends.
func start(t *testing.T, srv *http.Server, h http.Handler, grace time.Duration) *started {
	t.Helper()
	ws := newServer(0, nil)
	mux := http.NewServeMux()
	mux.Handle("/", ws)
	mux.Handle("POST /upload", h)
	srv.Handler = mux
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &started{addr: l.Addr().String(), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.err = serve(ctx, l, srv, ws, grace)
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	return s
}

// dial connects a WebSocket client to s, closed when the test ends.
func (s *started) dial(t *testing.T) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws://"+s.addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// echoes checks that c's server echoes a message.
func echoes(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(bound))
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatalf("write %q: %v", msg, err)
	}
	if _, got, err := c.ReadMessage(); err != nil || string(got) != msg {
		t.Fatalf("echo of %q = %q, %v", msg, got, err)
	}
}

// slowPost connects to s and sends a POST /upload whose 2-byte body stops
// after its first byte. It returns the connection, closed when the test
// ends.
func (s *started) slowPost(t *testing.T) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(bound))
	if _, err := io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: echo\r\nContent-Length: 2\r\n\r\na"); err != nil {
		t.Fatal(err)
	}
	return c
}

// isTimeout tells whether err is a timeout: a deadline of the test's ran out.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// A plain request in flight must not hold back the WebSocket side of the
// shutdown: the clients get their 1001 at once, not 1006 when the deadline
// runs out, which is what they got when http.Server.Shutdown ran first.
func TestShutdownDoesNotWaitForSlowRequests(t *testing.T) {
	reading := make(chan struct{})
	s := start(t, newHTTPServer(nil), upload(reading), time.Minute)
	c := s.dial(t)
	echoes(t, c, "before")
	post := s.slowPost(t)
	<-reading // the upload is in flight, waiting for its body

	s.cancel()
	c.SetReadDeadline(time.Now().Add(bound)) // far less than the grace
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Errorf("WebSocket client, shutdown begun, upload in flight: %v, want close 1001", err)
		c.Close() // the server is not to wait for its closing handshake
	}

	select {
	case <-s.done:
		t.Fatalf("serve returned %v with the upload in flight", s.err)
	default:
	}
	// The upload ends well: the shutdown waited for it.
	post.SetDeadline(time.Now().Add(bound))
	if _, err := io.WriteString(post, "b"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(post), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("upload: %s, want 204", resp.Status)
	}
	if <-s.done; s.err != nil {
		t.Errorf("serve: %v", s.err)
	}
}

// The server's timeouts end a plain request whose body does not come, but
// not a WebSocket connection, whose deadlines the upgrade clears.
func TestTimeouts(t *testing.T) {
	srv := newHTTPServer(nil)
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Fatalf("timeouts: header %v, request %v, idle %v; want all set",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout)
	}
	const timeout = 100 * time.Millisecond
	srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout = timeout, timeout, timeout, timeout
	s := start(t, srv, upload(nil), bound)

	c := s.dial(t)
	echoes(t, c, "before")

	// The body never comes: the server gives up on it after ReadTimeout and
	// closes the connection (answering 400 first, unless WriteTimeout has
	// passed too).
	post := s.slowPost(t)
	if _, err := io.ReadAll(post); isTimeout(err) {
		t.Errorf("slow upload: the server held it for %v", bound)
	}

	// By now the WebSocket connection, upgraded before the upload began, has
	// lived past every timeout of the server's; make sure the deadlines have
	// passed, then see that it still works.
	time.Sleep(2 * timeout)
	echoes(t, c, "after")
}
