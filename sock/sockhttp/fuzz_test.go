package sockhttp_test

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockkit/sockkit/internal/hosttest"
	"github.com/sockkit/sockkit/internal/wire"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// FuzzHostsRead sends whatever bytes after the handshake to a server on
// each host: none may panic (Serve would recover it and log it at Error,
// the only record at that level here), and each ends the connection once
// the client stops sending. `go test -fuzz FuzzHostsRead ./sock/sockhttp` looks for
// more; the seeds run with the tests.
func FuzzHostsRead(f *testing.F) {
	if hosttest.OnGws() {
		f.Skip("run on each host by the parent's run already")
	}
	frame := func(fin bool, op byte, p string) []byte {
		return wire.Frame(wire.Header{Fin: fin, Op: op, Masked: true}, []byte(p))
	}

	f.Add(frame(true, opText, "hello"))
	f.Add(slices.Concat(frame(false, opBinary, "a"), frame(true, 0x9, "p"), frame(true, opContinuation, "b")))
	// Lengths whose sum wraps around past the budget's free bytes.
	f.Add(slices.Concat(frame(false, opBinary, strings.Repeat("a", sockhttp.FreeBytes+10)), wire.Head(wire.Header{Fin: true, Op: opContinuation, Masked: true}, 1<<63-5)))
	f.Add(wire.Head(wire.Header{Fin: true, Op: opBinary, Masked: true}, 1<<63))
	f.Add(slices.Concat(frame(true, 0x9, "before"), wire.Frame(wire.Header{Fin: true, RSV: 0x40, Op: opText, Masked: true}, []byte("x"))))
	f.Add(slices.Concat(frame(true, opClose, "\x03\xe8"), frame(true, opText, "after")))
	f.Add(wire.Frame(wire.Header{Fin: true, Op: opText}, []byte("unmasked")))

	type server struct {
		name     string
		url      string
		live     sync.WaitGroup
		mu       sync.Mutex
		panicked []string // what Serve logged of the panics it recovered
	}
	var servers []*server
	for _, h := range hosts {
		s := &server{name: h.name}
		logged := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.panicked = append(s.panicked, string(p))
			return len(p), nil
		}), &slog.HandlerOptions{Level: slog.LevelError}))
		ws := sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return newProbe(nil) }), &sockhttp.Options{
			Host: h.host(), ConnOptions: &sock.Options{Logger: logged},
		})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.live.Add(1)
			defer s.live.Done()
			ws.ServeHTTP(w, r)
		}))
		f.Cleanup(srv.Close)
		s.url = srv.URL
		servers = append(servers, s)
	}

	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range servers {
			c := dialRaw(t, s.url)
			c.nc.Write(b) // the server may have closed already
			c.nc.(*net.TCPConn).CloseWrite()
			c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err := io.Copy(io.Discard, c.nc)
			var timeout net.Error
			if errors.As(err, &timeout) && timeout.Timeout() {
				t.Fatalf("%s: the connection was still open 5 s after the client stopped sending % x", s.name, b)
			}
			done := make(chan struct{})
			go func() { s.live.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: the handler was still running 5 s after its connection ended", s.name)
			}
			s.mu.Lock()
			panicked := s.panicked
			s.panicked = nil
			s.mu.Unlock()
			if len(panicked) > 0 {
				t.Fatalf("%s, on % x, logged:\n%s", s.name, b, strings.Join(panicked, "\n"))
			}
		}
	})
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
