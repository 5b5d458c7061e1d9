package sockt_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sockt"
)

// liveEcho serves echo on /echo, and refuses other paths with 404, on a
// server of its own: a live endpoint, out of the test's sight.
func liveEcho(t *testing.T, tls bool) *httptest.Server {
	srv := sockhttp.NewServer(func(r *http.Request) (sockhttp.Accept, error) {
		if r.URL.Path != "/echo" {
			return sockhttp.Accept{}, &sockhttp.Refusal{Status: http.StatusNotFound, Body: "no such endpoint"}
		}
		return sockhttp.Accept{Handler: echo{}}, nil
	}, nil)
	var hs *httptest.Server
	if tls {
		hs = httptest.NewTLSServer(srv)
	} else {
		hs = httptest.NewServer(srv)
	}
	t.Cleanup(hs.Close)
	return hs
}

func TestDialURL(t *testing.T) {
	for _, tls := range []bool{false, true} {
		name := map[bool]string{false: "ws", true: "wss"}[tls]
		t.Run(name, func(t *testing.T) {
			hs := liveEcho(t, tls)
			var opts *sockt.Options
			if tls {
				opts = &sockt.Options{TLSClientConfig: hs.Client().Transport.(*http.Transport).TLSClientConfig}
			}
			s := sockt.DialURL(t, hs.URL+"/app/", opts) // https:// taken for wss://

			c := s.Connect(httptest.NewRequest(http.MethodGet, "/echo", nil)) // the path replaces /app/
			c.ExpectAccepted("")
			c.SendText("hello")
			c.ExpectText("hello")
			if !c.Sync() {
				t.Fatal("Sync on an open connection reported it ended")
			}
			frames, _ := c.End()
			if len(frames) != 2 || frames[1].Op != sock.OpClose {
				t.Errorf("End = %v, want the echo and the close", frames)
			}

			refused := s.Connect(httptest.NewRequest(http.MethodGet, "/nowhere", nil))
			if h := refused.ExpectRefused(http.StatusNotFound); h.Body != "no such endpoint" {
				t.Errorf("refusal body = %q", h.Body)
			}
		})
	}
}

func TestDialURLRefusesWhatNeedsTheServerInProcess(t *testing.T) {
	hs := liveEcho(t, false)
	for what, step := range map[string]func(s *sockt.Server, c *sockt.Conn){
		"SendInfo":        func(_ *sockt.Server, c *sockt.Conn) { _ = c.SendInfo("x") },
		"ExpectTerminate": func(_ *sockt.Server, c *sockt.Conn) { c.ExpectTerminate(sock.ReasonRemote) },
		"Shutdown":        func(s *sockt.Server, _ *sockt.Conn) { s.Shutdown() },
	} {
		failures := sockt.Failures(func(t sockt.TB) {
			s := sockt.DialURL(t, strings.TrimPrefix(hs.URL, "http://"), nil) // no scheme: ws://
			step(s, s.Connect(httptest.NewRequest(http.MethodGet, "/echo", nil)))
		})
		if len(failures) != 1 || !strings.Contains(failures[0], what+" needs the server in the test's process") {
			t.Errorf("%s on a live server: failures %q", what, failures)
		}
	}
}

// A live server sees the URL's host, or the request's own Host header, and
// nothing of sockt's.
func TestDialURLHost(t *testing.T) {
	type seen struct{ host, conn string }
	requests := make(chan seen, 4)
	hs := httptest.NewServer(sockhttp.NewServer(func(r *http.Request) (sockhttp.Accept, error) {
		requests <- seen{r.Host, r.Header.Get("X-Sockt-Conn")}
		return sockhttp.Accept{Handler: echo{}}, nil
	}, nil))
	defer hs.Close()
	s := sockt.DialURL(t, hs.URL, nil)
	s.Connect(httptest.NewRequest(http.MethodGet, "/", nil)).End()
	if got := <-requests; got != (seen{hs.Listener.Addr().String(), ""}) {
		t.Errorf("the live server saw %+v, want the URL's host and no X-Sockt-Conn", got)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Host", "chat.example")
	s.Connect(r).End()
	if got := <-requests; got.host != "chat.example" {
		t.Errorf("with a Host header, the live server saw Host %q", got.host)
	}
}
