package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sockkit/sockkit/cmd/socktui/internal/client"
	"github.com/sockkit/sockkit/sock"
)

// probe sends what a well-behaved client never does, to see what the server
// answers: a conforming one closes with 1002, 1007 or 1009, and keeps
// serving the others.
type probe struct {
	what string
	send func(c *client.Conn, arg string) error
}

// probes are the robustness probes, numbered from 1 as f4 lists them.
var probes = []probe{
	{"text that is not UTF-8 (1007 due)", func(c *client.Conn, _ string) error { return c.Send(sock.Text("caf\xe9")) }},
	{"a binary message of N bytes, 1 MiB + 1 unless given (1009 due past the server's limit)", func(c *client.Conn, arg string) error {
		n := 1<<20 + 1
		if arg != "" {
			var err error
			if n, err = strconv.Atoi(arg); err != nil || n < 0 || n > 256<<20 {
				return fmt.Errorf("a size in bytes, up to 256 MiB")
			}
		}
		return c.Send(sock.Binary(make([]byte, n)))
	}},
	{"a text message in two fragments with a ping between (the pong first, then the message whole)", func(c *client.Conn, _ string) error {
		return c.SendRaw(client.RawFrame{Op: sock.OpText, Payload: []byte("frag")},
			client.RawFrame{Fin: true, Op: sock.OpPing, Payload: []byte("between")},
			client.RawFrame{Fin: true, Op: sock.OpContinuation, Payload: []byte("ment")})
	}},
	{"a close frame with an illegal code, 1005 (1002 due)", func(c *client.Conn, _ string) error {
		return c.Send(sock.Frame{Op: sock.OpClose, Payload: []byte{0x03, 0xed}})
	}},
	{"a close frame with a reason of 124 bytes, 126 in all (1002 due)", func(c *client.Conn, _ string) error {
		return c.SendRaw(client.RawFrame{Fin: true, Op: sock.OpClose, Payload: append([]byte{0x03, 0xe8}, strings.Repeat("r", 124)...)})
	}},
	{"a ping of 126 bytes (1002 due)", func(c *client.Conn, _ string) error {
		return c.SendRaw(client.RawFrame{Fin: true, Op: sock.OpPing, Payload: make([]byte, 126)})
	}},
	{"a text frame with a reserved bit set, no extension agreed (1002 due)", func(c *client.Conn, _ string) error {
		return c.SendRaw(client.RawFrame{Fin: true, Rsv1: true, Op: sock.OpText, Payload: []byte("rsv1")})
	}},
	{"drop the TCP connection without a close frame", func(c *client.Conn, _ string) error { c.Drop(); return nil }},
	{"stop reading: the server's writes back up (/reading on resumes)", func(c *client.Conn, _ string) error {
		c.Reading(false)
		return nil
	}},
}

// probePanel lists the probes.
func probePanel() string {
	var b strings.Builder
	b.WriteString("robustness probes: press a number to send one (esc closes); /probe N [size] from the composer\n\n")
	for i, p := range probes {
		fmt.Fprintf(&b, "  %d  %s\n", i+1, p.what)
	}
	return b.String()
}

// runProbe sends probe number n (from 1) with arg.
func (m *model) runProbe(n int, arg string) {
	if n < 1 || n > len(probes) {
		m.status = fmt.Sprintf("probes are numbered 1 to %d", len(probes))
		return
	}
	if m.conn == nil || m.state != open {
		m.status = "not connected: ctrl+r reconnects"
		return
	}
	m.note("probe: " + probes[n-1].what)
	if err := probes[n-1].send(m.conn, arg); err != nil {
		m.status = err.Error()
	}
}
