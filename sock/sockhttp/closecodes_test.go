package sockhttp_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// A connection's end, as the client and the handler saw it.
type ending struct {
	sent   string // the close code the client received, "none", or "empty" for a close frame without a code
	reason string // Terminate's: "kind code"
}

// endings runs each way a connection can end against a real server, over
// a raw socket, keyed by the situation's words in the README's table.
var endings = map[string]func(t *testing.T) ending{
	"the handler returns `Stop()`":                                handlerSays("stop"),
	"the handler returns `Close(4000, text)`":                     handlerSays("close"),
	"the handler returns `StopWith(err)`":                         handlerSays("error"),
	"the handler returns `StopWith` of a `*CloseError` with 4001": handlerSays("closeerror"),
	"a callback panics":                                           handlerSays("panic"),
	"a callback returns a Result sock refuses":                    handlerSays("bad"),
	"the peer closes with a code it may send (1000–1003, 1007–1013, 3000–4999), here 4000": peerSends(0x8, []byte{0x0f, 0xa0}),
	"the peer closes without a code": peerSends(0x8, nil),
	"the peer closes with a code it may not send (1004, 1005, 1006, 1014, 1015, 999...)": peerSends(0x8, []byte{0x03, 0xec}),
	"the peer sends text that is not UTF-8":                                              peerSends(0x1, []byte{0xff}),
	"the peer breaks the protocol (an unmasked frame, a reserved bit, a bad opcode...)": func(t *testing.T) ending {
		return end(t, nil, func(c *rawConn) { c.write(rawHeader{fin: true, opcode: 0x3, masked: true}, nil) })
	},
	"the peer sends a message over `MaxMessageSize`": func(t *testing.T) ending {
		return end(t, &sockhttp.Options{ConnOptions: &sock.Options{MaxMessageSize: 100}}, func(c *rawConn) { c.send(0x2, make([]byte, 200)) })
	},
	"a message would take the server past its `MemoryBudget`": func(t *testing.T) ending {
		return end(t, &sockhttp.Options{MemoryBudget: 1}, func(c *rawConn) {
			frame := c.frame(rawHeader{fin: true, opcode: 2, masked: true}, make([]byte, 256<<10))
			c.writeRaw(frame[:200<<10])
		})
	},
	"nothing comes for `IdleTimeout`": func(t *testing.T) ending {
		return end(t, &sockhttp.Options{ConnOptions: &sock.Options{IdleTimeout: 50 * time.Millisecond}}, func(*rawConn) {})
	},
	"no pong comes for `PongTimeout`": func(t *testing.T) ending {
		return end(t, &sockhttp.Options{ConnOptions: &sock.Options{PingInterval: 30 * time.Millisecond}}, func(*rawConn) {})
	},
	"a write does not finish within `WriteTimeout` (the peer stopped reading)": func(t *testing.T) ending {
		flood := newProbe(func(*sock.Conn, sock.Frame) sock.Result {
			frames := make([]sock.Frame, 64)
			for i := range frames {
				frames[i] = sock.Binary(make([]byte, 1<<20))
			}
			return sock.Push(frames[0], frames[1:]...)
		})
		srv, _ := serve(t, flood, hosted(&sockhttp.Options{ConnOptions: &sock.Options{WriteTimeout: 100 * time.Millisecond}}))
		c := dialRaw(t, srv.URL)
		c.send(0x1, []byte("flood"))
		r := flood.reason(t) // the client reads nothing until then
		return ending{received(c), reasonOf(r)}
	},
	"the peer's connection drops": func(t *testing.T) ending {
		p := newProbe(nil)
		srv, _ := serve(t, p, hosted(nil))
		c := dialRaw(t, srv.URL)
		c.nc.Close()
		return ending{"none", reasonOf(p.reason(t))}
	},
	"`Server.Shutdown`":                      shutdown(false),
	"`Server.Shutdown` with `Drain.Restart`": shutdown(true),
}

// end connects a raw client to a probe server with opts, has it do what
// act says, and returns how the connection ended.
func end(t *testing.T, opts *sockhttp.Options, act func(c *rawConn)) ending {
	p := newProbe(nil)
	srv, _ := serve(t, p, hosted(opts))
	c := dialRaw(t, srv.URL)
	act(c)
	r := p.reason(t)
	return ending{received(c), reasonOf(r)}
}

// handlerSays ends a connection with what the handler returns on msg.
func handlerSays(msg string) func(t *testing.T) ending {
	return func(t *testing.T) ending {
		p := newProbe(func(_ *sock.Conn, f sock.Frame) sock.Result {
			switch string(f.Payload) {
			case "stop":
				return sock.Stop()
			case "close":
				return sock.Close(4000, "bye")
			case "error":
				return sock.StopWith(errors.New("no database"))
			case "closeerror":
				return sock.StopWith(&sock.CloseError{Code: 4001, Text: "expired"})
			case "panic":
				panic("boom")
			}
			return sock.Close(999, "") // a code that may not be sent
		})
		srv, _ := serve(t, p, hosted(&sockhttp.Options{ConnOptions: &sock.Options{Logger: discard}}))
		c := dialRaw(t, srv.URL)
		c.send(0x1, []byte(msg))
		return ending{received(c), reasonOf(p.reason(t))}
	}
}

// peerSends ends a connection with a frame from the peer.
func peerSends(opcode byte, payload []byte) func(t *testing.T) ending {
	return func(t *testing.T) ending { return end(t, nil, func(c *rawConn) { c.send(opcode, payload) }) }
}

// shutdown ends a connection by the server's shutdown.
func shutdown(restart bool) func(t *testing.T) ending {
	return func(t *testing.T) ending {
		p := newProbe(nil)
		srv, ws := serve(t, p, hosted(&sockhttp.Options{Drain: sockhttp.Drain{Restart: restart}}))
		c := dialRaw(t, srv.URL)
		<-p.conn
		go ws.Shutdown(context.Background())
		r := p.reason(t)
		sent := received(c)
		return ending{sent, reasonOf(r)}
	}
}

// received reads what the server sent until its close frame, and returns
// the close code, or "none" if the connection ended without one.
func received(c *rawConn) string {
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		f, err := c.read()
		if err != nil {
			return "none"
		}
		if f.opcode == 0x8 {
			if len(f.payload) == 0 {
				return "empty"
			}
			return strconv.Itoa(f.closeCode())
		}
	}
}

func reasonOf(r sock.Reason) string { return fmt.Sprintf("%s %d", r.Kind, r.Code) }

// tableHost is the host the table's rows run on, nil for gorilla.
var tableHost sockhttp.Host

// hosted returns opts with the table's host.
func hosted(opts *sockhttp.Options) *sockhttp.Options {
	var o sockhttp.Options
	if opts != nil {
		o = *opts
	}
	o.Host = tableHost
	return &o
}

// The README's close-code table is what happens, on both hosts: each row
// is run against a real server, and every way a connection ends has its
// row.
func TestCloseCodeTable(t *testing.T) {
	eachHostHere(t)
	rows := readCloseCodeTable(t)
	for _, host := range hosts {
		tableHost = host.host()
		for situation, run := range endings {
			want, ok := rows[situation]
			if !ok {
				t.Errorf("the README's close-code table has no row %q", situation)
				continue
			}
			t.Run(host.name+"/"+situation, func(t *testing.T) {
				if got := run(t); got != want {
					t.Errorf("sent %s, Terminate saw %s; the README says %s, %s", got.sent, got.reason, want.sent, want.reason)
				}
			})
		}
	}
	tableHost = nil
	for situation := range rows {
		if endings[situation] == nil {
			t.Errorf("the README's close-code table has a row %q that no test runs", situation)
		}
	}
}

// readCloseCodeTable reads the table under "### Close codes" in the README:
// | situation | close code sent | Terminate's reason | why |.
func readCloseCodeTable(t *testing.T) map[string]ending {
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string]ending{}
	in := false
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "### Close codes"):
			in = true
		case in && strings.HasPrefix(line, "#"):
			return rows
		case in && strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| situation") && !strings.HasPrefix(line, "| ---"):
			cells := strings.Split(strings.Trim(line, "| "), " | ")
			if len(cells) < 3 {
				t.Fatalf("README close-code row %q: want | situation | sent | reason | why |", line)
			}
			sent, _, _ := strings.Cut(cells[1], " ")
			rows[cells[0]] = ending{sent: sent, reason: strings.ReplaceAll(cells[2], ",", "")}
		}
	}
	if len(rows) == 0 {
		t.Fatal(`the README has no table under "### Close codes"`)
	}
	return rows
}
