package sockt_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sockkit/sockkit/internal/hosttest"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockgws"
	"github.com/sockkit/sockkit/sockt"
)

type connect func(t sockt.TB, newHandler func() sock.Handler, o *sockt.Options) *sockt.Conn

var modes = []struct {
	name string
	open connect
}{
	{"sim", sockt.New},
	{"loopback", dialOnTestHost},
}

// dialOnTestHost is sockt.Dial on the host the tests run on.
func dialOnTestHost(t sockt.TB, newHandler func() sock.Handler, o *sockt.Options) *sockt.Conn {
	return sockt.Dial(t, newHandler, onTestHost(o))
}

// onTestHost returns o with the host the tests run on: gorilla, or gws in
// TestSuiteOnGws's child.
func onTestHost(o *sockt.Options) *sockt.Options {
	if !hosttest.OnGws() || (o != nil && o.Host != nil) {
		return o
	}
	var c sockt.Options
	if o != nil {
		c = *o
	}
	c.Host = sockgws.Host(nil)
	return &c
}

func TestAssertionsFail(t *testing.T) {
	fast := &sockt.Options{Wait: 200 * time.Millisecond}
	for _, tc := range []struct {
		name  string
		body  func(c *sockt.Conn)
		wants []string // substrings of the failure message
	}{
		{"ExpectText wrong text", func(c *sockt.Conn) {
			c.SendText("hello")
			c.ExpectText("goodbye")
		}, []string{"(-want +got)", `-`, `"goodbye"`, `+`, `"hello"`, "transcript", `HandleIn text "hello"`}},
		{"ExpectText binary instead", func(c *sockt.Conn) {
			c.SendBinary([]byte("hello"))
			c.ExpectText("hello")
		}, []string{"(-want +got)", "binary 68656c6c6f"}},
		{"ExpectPush nothing pushed", func(c *sockt.Conn) {
			c.ExpectPush(sockt.Any())
		}, []string{"nothing was pushed"}},
		{"ExpectPush nil", func(c *sockt.Conn) {
			c.SendText("hello")
			c.ExpectPush(nil)
		}, []string{"ExpectPush(nil): give it a Matcher, such as sockt.Any()"}},
		{"ExpectPush contains", func(c *sockt.Conn) {
			c.SendText("hello")
			c.ExpectPush(sockt.Contains("bye"))
		}, []string{`text containing "bye"`}},
		{"ExpectPush regexp", func(c *sockt.Conn) {
			c.SendText("hello")
			c.ExpectPush(sockt.Regexp(`^\d+$`))
		}, []string{`text matching /^\d+$/`}},
		{"ExpectPush JSON", func(c *sockt.Conn) {
			c.SendText(`{"a": 1, "b": [true]}`)
			c.ExpectPush(sockt.JSON(map[string]any{"a": 2, "b": []bool{true}}))
		}, []string{`JSON {"a":2,"b":[true]}`}},
		{"ExpectPush after close", func(c *sockt.Conn) {
			c.SendText(string([]byte{0xff}))
			c.ExpectText("x")
		}, []string{"the server closed instead: close 1007"}},
		{"RefutePush", func(c *sockt.Conn) {
			c.SendText("hello")
			c.RefutePush()
		}, []string{`RefutePush: the handler pushed text "hello"`}},
		{"ExpectPong wrong payload", func(c *sockt.Conn) {
			c.Ping([]byte("a"))
			c.ExpectPong([]byte("b"))
		}, []string{"ExpectPong", "-", "0 62", "+", "0 61"}},
		// Payloads are compared whole, not as the 64 bytes Frame.String shows.
		{"ExpectPong differs at byte 99", func(c *sockt.Conn) {
			p := bytes.Repeat([]byte{7}, 100)
			c.Ping(p)
			c.ExpectPong(append(p[:99:99], 8))
		}, []string{"ExpectPong", "-", "96 07 07 07 08", "+", "96 07 07 07 07"}},
		{"ExpectText differs at byte 99", func(c *sockt.Conn) {
			c.SendText(strings.Repeat("a", 100))
			c.ExpectText(strings.Repeat("a", 99) + "b")
		}, []string{"-", `96 "aaab"`, "+", `96 "aaaa"`}},
		{"ExpectPong after a message, none came", func(c *sockt.Conn) {
			c.SendText("x")
			c.ExpectText("x")
			c.ExpectPong([]byte("never sent"))
		}, []string{"no pong came"}},
		{"ExpectClose with a pushed message first", func(c *sockt.Conn) {
			c.SendText("x")
			c.SendText("\xff")
			c.ExpectClose(sock.CloseInvalidPayload, "")
		}, []string{`the handler pushed text "x" first`}},
		{"ExpectClose none", func(c *sockt.Conn) {
			c.ExpectClose(sock.CloseNormal, "")
		}, []string{"the server sent no close frame"}},
		{"ExpectClose wrong code", func(c *sockt.Conn) {
			c.SendText(string([]byte{0xff}))
			c.ExpectClose(sock.CloseNormal, "")
		}, []string{"-", "Code", "1000", "+", "1007"}},
		{"ExpectTerminate not yet", func(c *sockt.Conn) {
			c.ExpectTerminate(sock.ReasonNormal)
		}, []string{"Terminate has not run"}},
		{"ExpectTerminate wrong kind", func(c *sockt.Conn) {
			c.Close(sock.CloseNormal, "")
			c.ExpectTerminate(sock.ReasonNormal)
		}, []string{"-", "normal", "+", "remote"}},
	} {
		for _, m := range modes {
			t.Run(tc.name+"/"+m.name, func(t *testing.T) {
				failures := sockt.Failures(func(ft sockt.TB) {
					c := m.open(ft, func() sock.Handler { return echo{} }, fast)
					tc.body(c)
				})
				if len(failures) != 1 {
					t.Fatalf("got %d failures, want 1: %q", len(failures), failures)
				}
				for _, want := range tc.wants {
					if !strings.Contains(failures[0], want) {
						t.Errorf("failure message does not contain %q:\n%s", want, failures[0])
					}
				}
			})
		}
	}
}

func TestAssertionsPass(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			failures := sockt.Failures(func(ft sockt.TB) {
				c := m.open(ft, func() sock.Handler { return echo{} }, nil)
				c.SendText(`{"b": [1, 2], "a": "x"}`)
				c.ExpectPush(sockt.JSON(`{"a":"x","b":[1,2]}`))
				c.SendText("order 66")
				c.ExpectPush(sockt.Regexp(`^order \d+$`))
				c.SendText("hello world")
				c.ExpectPush(sockt.Contains("world"))
				c.SendBinary(nil)
				c.ExpectPush(sockt.Any())
				c.RefutePush()
				// What one expectation passes over stays for the others.
				c.Ping([]byte("p"))
				c.SendText("after the ping")
				c.ExpectText("after the ping")
				c.ExpectPong([]byte("p"))
				long := bytes.Repeat([]byte{1}, 125)
				c.Ping(long)
				c.ExpectPong(long)
			})
			if len(failures) != 0 {
				t.Errorf("failures: %q", failures)
			}
		})
	}
}

// A test that leaves its connection open gets it closed by the client at
// cleanup, and Terminate checked.
func TestCleanupClosesAndChecksTerminate(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			p := &terminations{}
			failures := sockt.Failures(func(ft sockt.TB) { m.open(ft, func() sock.Handler { return p }, nil) })
			if len(failures) != 0 {
				t.Errorf("failures: %q", failures)
			}
			if p.n != 1 || p.last.Kind != sock.ReasonRemote {
				t.Errorf("Terminate ran %d times, last with %v; want once, remote", p.n, p.last)
			}
		})
	}
}

type terminations struct {
	n    int
	last sock.Reason
}

func (*terminations) HandleIn(*sock.Conn, sock.Frame) sock.Result { return sock.Continue() }
func (p *terminations) Terminate(_ *sock.Conn, r sock.Reason)     { p.n++; p.last = r }

func TestGolden(t *testing.T) {
	c := sockt.New(t, func() sock.Handler { return &counter{period: time.Second} }, nil)
	c.SendText("hi")
	c.Advance(2 * time.Second)
	c.SendText("stop")
	c.ExpectText("tick 1")
	c.ExpectText("tick 2")
	c.ExpectClose(4000, "stopped at 2")
	sockt.Golden(t, "testdata/counter.golden", c.Transcript())

	t.Setenv(sockt.UpdateEnv, "") // compare, even when the run updates goldens
	failures := sockt.Failures(func(ft sockt.TB) { sockt.Golden(ft, "testdata/counter.golden", []string{"something else"}) })
	if len(failures) != 1 || !strings.Contains(failures[0], "(-want +got)") {
		t.Errorf("Golden with another transcript: failures %q, want one diff", failures)
	}
}

// Close texts are compared whole, not as the 64 bytes Frame.String shows.
func TestExpectCloseComparesTheWholeText(t *testing.T) {
	long := strings.Repeat("a", 100)
	closer := sock.HandlerFunc(func(*sock.Conn, sock.Frame) sock.Result { return sock.Close(4000, long) })
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			failures := sockt.Failures(func(ft sockt.TB) {
				c := m.open(ft, func() sock.Handler { return closer }, nil)
				c.SendText("close")
				c.ExpectClose(4000, long[:99]+"b")
			})
			if len(failures) != 1 || !strings.Contains(failures[0], "ExpectClose") || !strings.Contains(failures[0], `"b"`) {
				t.Errorf("failures: %q, want one ExpectClose diff", failures)
			}
		})
	}
}
