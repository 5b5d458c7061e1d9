package sockhttp_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// TestRawProtocolViolations sends frames no client library would and expects
// close 1002, a closed socket and Terminate with ErrProtocol.
func TestRawProtocolViolations(t *testing.T) {
	for _, tc := range []struct {
		name string
		send func(c *rawConn)
	}{
		{"reserved opcode", func(c *rawConn) { c.send(0x3, []byte("x")) }},
		{"reserved control opcode", func(c *rawConn) { c.send(0xB, nil) }},
		{"RSV1 without extension", func(c *rawConn) {
			c.write(rawHeader{fin: true, rsv: 0x40, opcode: opText, masked: true}, []byte("x"))
		}},
		{"RSV2", func(c *rawConn) {
			c.write(rawHeader{fin: true, rsv: 0x20, opcode: opBinary, masked: true}, []byte("x"))
		}},
		{"unmasked frame", func(c *rawConn) {
			c.write(rawHeader{fin: true, opcode: opText}, []byte("x"))
		}},
		{"fragmented ping", func(c *rawConn) {
			c.write(rawHeader{fin: false, opcode: opPing, masked: true}, []byte("x"))
		}},
		{"ping over 125 bytes", func(c *rawConn) { c.send(opPing, make([]byte, 126)) }},
		{"stray continuation", func(c *rawConn) { c.send(opContinuation, []byte("x")) }},
		{"new message inside a fragmented one", func(c *rawConn) {
			c.write(rawHeader{fin: false, opcode: opText, masked: true}, []byte("a"))
			c.write(rawHeader{fin: true, opcode: opText, masked: true}, []byte("b"))
		}},
		{"close reason not UTF-8", func(c *rawConn) { c.send(opClose, []byte{0x03, 0xE8, 0xff}) }},
		{"close code 1014", func(c *rawConn) { c.send(opClose, []byte{0x03, 0xF6}) }},
		// RFC 6455 §5.2: the most significant bit of a 64-bit length must be 0.
		{"64-bit length with the top bit set", func(c *rawConn) {
			c.writeRaw([]byte{0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1, 0x12, 0x34, 0x56, 0x78})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProbe(nil)
			srv, _ := serve(t, p, nil)
			c := dialRaw(t, srv.URL)
			tc.send(c)
			f := c.mustRead()
			if f.opcode != opClose || f.closeCode() != 1002 {
				t.Errorf("server sent opcode %d code %d, want close 1002", f.opcode, f.closeCode())
			}
			c.expectClosed()
			if r := p.reason(t); r.Kind != sock.ReasonError || !errors.Is(r.Err, sock.ErrProtocol) {
				t.Errorf("Terminate reason = %v, want an error wrapping ErrProtocol", r)
			}
		})
	}
}

func TestRawFragmentedMessageWithPingBetween(t *testing.T) {
	srv, _ := serve(t, newProbe(nil), nil)
	c := dialRaw(t, srv.URL)
	c.write(rawHeader{fin: false, opcode: opText, masked: true}, []byte("hel"))
	c.send(opPing, []byte("mid"))
	if f := c.mustRead(); f.opcode != opPong || string(f.payload) != "mid" {
		t.Fatalf("first frame = opcode %d %q, want the pong \"mid\" before the message ends", f.opcode, f.payload)
	}
	c.write(rawHeader{fin: false, opcode: opContinuation, masked: true}, []byte("lo "))
	c.write(rawHeader{fin: true, opcode: opContinuation, masked: true}, []byte("wörld"))
	if f := c.mustRead(); f.opcode != opText || !f.fin || string(f.payload) != "hello wörld" {
		t.Errorf("echo = opcode %d fin %v %q, want one text frame \"hello wörld\"", f.opcode, f.fin, f.payload)
	}
}

func TestRawInvalidUTF8SplitAcrossFragments(t *testing.T) {
	p := newProbe(nil)
	srv, _ := serve(t, p, nil)
	c := dialRaw(t, srv.URL)
	euro := []byte("€") // 3 bytes; split between fragments it is still valid
	c.write(rawHeader{fin: false, opcode: opText, masked: true}, euro[:1])
	c.write(rawHeader{fin: true, opcode: opContinuation, masked: true}, euro[1:])
	if f := c.mustRead(); string(f.payload) != "€" {
		t.Fatalf("echo = %q, want €", f.payload)
	}
	c.write(rawHeader{fin: false, opcode: opText, masked: true}, euro[:1])
	c.write(rawHeader{fin: true, opcode: opContinuation, masked: true}, []byte("x"))
	if f := c.mustRead(); f.opcode != opClose || f.closeCode() != 1007 {
		t.Errorf("server sent opcode %d code %d, want close 1007", f.opcode, f.closeCode())
	}
}

func TestRawClientNeverAnswersClose(t *testing.T) {
	p := newProbe(func(*sock.Conn, sock.Frame) sock.Result { return sock.Close(4000, "bye") })
	srv, _ := serve(t, p, &sockhttp.Options{ConnOptions: &sock.Options{CloseTimeout: 100 * time.Millisecond}})
	c := dialRaw(t, srv.URL)
	c.send(opText, []byte("close please"))
	if f := c.mustRead(); f.opcode != opClose || f.closeCode() != 4000 || string(f.payload[2:]) != "bye" {
		t.Fatalf("server sent opcode %d %q, want close 4000 bye", f.opcode, f.payload)
	}
	start := time.Now()
	c.expectClosed()
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Errorf("socket closed after %v, before the 100ms close timeout", waited)
	}
	if r := p.reason(t); r.Kind != sock.ReasonNormal || r.Code != 4000 {
		t.Errorf("Terminate reason = %v, want normal 4000", r)
	}
}

func TestRawClientAnswersClose(t *testing.T) {
	p := newProbe(func(*sock.Conn, sock.Frame) sock.Result { return sock.Push(sock.Text("last")).Stop() })
	srv, _ := serve(t, p, &sockhttp.Options{ConnOptions: &sock.Options{CloseTimeout: time.Hour}})
	c := dialRaw(t, srv.URL)
	c.send(opBinary, []byte("go"))
	if f := c.mustRead(); f.opcode != opText || string(f.payload) != "last" {
		t.Fatalf("first frame = opcode %d %q, want text last", f.opcode, f.payload)
	}
	if f := c.mustRead(); f.opcode != opClose || f.closeCode() != 1000 {
		t.Fatalf("second frame = opcode %d code %d, want close 1000", f.opcode, f.closeCode())
	}
	c.send(opClose, []byte{0x03, 0xE8})
	c.expectClosed() // at once, not after the hour-long close timeout
}

func TestRawConnectionDropped(t *testing.T) {
	p := newProbe(nil)
	srv, _ := serve(t, p, nil)
	c := dialRaw(t, srv.URL)
	c.write(rawHeader{fin: true, opcode: opText, masked: true}, nil)
	c.mustRead()
	c.nc.Close()
	r := p.reason(t)
	if r.Kind != sock.ReasonError || r.Code != sock.CloseAbnormal || !errors.Is(r.Err, sock.ErrConnectionLost) {
		t.Errorf("Terminate reason = %v, want error 1006 wrapping ErrConnectionLost", r)
	}
}

func TestWriteTimeoutWhenClientStopsReading(t *testing.T) {
	big := bytes.Repeat([]byte("z"), 1<<20)
	p := newProbe(func(*sock.Conn, sock.Frame) sock.Result {
		frames := make([]sock.Frame, 64) // 64 MiB: more than loopback buffers hold
		for i := range frames {
			frames[i] = sock.Binary(big)
		}
		return sock.Push(frames[0], frames[1:]...)
	})
	srv, _ := serve(t, p, &sockhttp.Options{ConnOptions: &sock.Options{WriteTimeout: 100 * time.Millisecond}})
	c := dialRaw(t, srv.URL)
	c.send(opText, []byte("flood me")) // and never read
	if r := p.reason(t); r.Kind != sock.ReasonError || !errors.Is(r.Err, sock.ErrWriteTimeout) {
		t.Errorf("Terminate reason = %v, want an error wrapping ErrWriteTimeout", r)
	}
}

// A message that arrives slowly is not idle: every part that arrives counts,
// whether it is one long frame or many fragments.
func TestRawSlowUploadIsNotIdle(t *testing.T) {
	const idle, gap, parts = 400 * time.Millisecond, 100 * time.Millisecond, 8 // 800ms in all
	for _, fragmented := range []bool{false, true} {
		name := map[bool]string{false: "one frame", true: "fragments"}[fragmented]
		t.Run(name, func(t *testing.T) {
			p := newProbe(nil)
			srv, _ := serve(t, p, &sockhttp.Options{ConnOptions: &sock.Options{IdleTimeout: idle}})
			c := dialRaw(t, srv.URL)
			msg := bytes.Repeat([]byte("u"), parts*512)
			if fragmented {
				for i := range parts {
					op := byte(opBinary)
					if i > 0 {
						op = opContinuation
						time.Sleep(gap)
					}
					c.write(rawHeader{fin: i == parts-1, opcode: op, masked: true}, msg[i*512:(i+1)*512])
				}
			} else {
				c.writeSlowly(rawHeader{fin: true, opcode: opBinary, masked: true}, msg, parts, gap)
			}
			if f := c.mustRead(); f.opcode != opBinary || !bytes.Equal(f.payload, msg) {
				t.Fatalf("server sent opcode %d with %d bytes, want the echo of %d bytes", f.opcode, len(f.payload), len(msg))
			}
			// Then silence: the idle timeout still works.
			if f := c.mustRead(); f.opcode != opClose || f.closeCode() != 1001 {
				t.Errorf("server sent opcode %d code %d, want close 1001 after the idle timeout", f.opcode, f.closeCode())
			}
		})
	}
}

// The first part of a message to arrive is activity too, not only the
// parts after it: a message begun late in the idle time and finished after
// it is echoed.
func TestRawFirstPartIsActivity(t *testing.T) {
	const idle = time.Second
	p := newProbe(nil)
	srv, _ := serve(t, p, &sockhttp.Options{ConnOptions: &sock.Options{IdleTimeout: idle}})
	c := dialRaw(t, srv.URL)
	msg := bytes.Repeat([]byte("a"), 1024)
	b := c.frame(rawHeader{fin: true, opcode: opBinary, masked: true}, msg)
	time.Sleep(idle / 2)
	c.writeRaw(b[:len(b)/2]) // the header and half the payload, in one write
	time.Sleep(idle * 7 / 10)
	c.writeRaw(b[len(b)/2:])
	if f := c.mustRead(); f.opcode != opBinary || !bytes.Equal(f.payload, msg) {
		t.Fatalf("server sent opcode %d code %d, want the echo of %d bytes", f.opcode, f.closeCode(), len(msg))
	}
}

// Frames that arrive in one piece with a frame the server refuses are
// handled first, in order: the refusal ends the connection after them,
// not instead of them.
func TestRawFramesBeforeARefusedFrame(t *testing.T) {
	const limit = 1 << 10
	tooBig := func(c *rawConn) []byte {
		return c.frame(rawHeader{fin: true, opcode: opBinary, masked: true}, make([]byte, limit+1))
	}
	for _, tc := range []struct {
		name   string
		before func(c *rawConn) []byte
		after  func(c *rawConn) []byte
		want   []string // what the server sends, in order
		reason sock.ReasonKind
	}{
		{"a message, then one too big", func(c *rawConn) []byte {
			return c.frame(rawHeader{fin: true, opcode: opText, masked: true}, []byte("first"))
		}, tooBig, []string{"text first", "close 1009"}, sock.ReasonError},
		{"a ping, then a reserved bit", func(c *rawConn) []byte {
			return c.frame(rawHeader{fin: true, opcode: 0x9, masked: true}, []byte("p"))
		}, func(c *rawConn) []byte {
			return c.frame(rawHeader{fin: true, rsv: 0x40, opcode: opText, masked: true}, []byte("x"))
		}, []string{"pong p", "close 1002"}, sock.ReasonError},
		{"a close, then one too big", func(c *rawConn) []byte {
			return c.frame(rawHeader{fin: true, opcode: opClose, masked: true}, binary.BigEndian.AppendUint16(nil, 4000))
		}, tooBig, []string{"close 4000"}, sock.ReasonRemote},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProbe(nil)
			srv, _ := serve(t, p, &sockhttp.Options{ConnOptions: &sock.Options{MaxMessageSize: limit}})
			c := dialRaw(t, srv.URL)
			c.writeRaw(append(tc.before(c), tc.after(c)...)) // one write, one read
			var got []string
			for len(got) < len(tc.want) {
				f, err := c.read()
				if err != nil {
					t.Fatalf("server sent %q, then %v; want %q", got, err, tc.want)
				}
				switch f.opcode {
				case opClose:
					got = append(got, fmt.Sprintf("close %d", f.closeCode()))
				case opText:
					got = append(got, "text "+string(f.payload))
				case 0xA:
					got = append(got, "pong "+string(f.payload))
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("server sent %q, want %q", got, tc.want)
			}
			if r := p.reason(t); r.Kind != tc.reason {
				t.Errorf("Terminate's reason %v, want kind %v", r, tc.reason)
			}
		})
	}
}
