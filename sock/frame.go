package sock

import (
	"fmt"
	"strconv"
)

// Opcode is the kind of a WebSocket frame (RFC 6455 §5.2).
type Opcode uint8

// The opcodes a Frame can carry. Transports join fragments into one whole
// message before a handler sees it; a continuation frame reaching a Session
// only says that part of a message has arrived (see [Transport]).
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// String returns the opcode's lower-case name, or "opcode(N)" for an unknown one.
func (o Opcode) String() string {
	switch o {
	case OpContinuation:
		return "continuation"
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return "opcode(" + strconv.Itoa(int(o)) + ")"
}

// IsData reports whether o carries a message: text or binary.
func (o Opcode) IsData() bool { return o == OpText || o == OpBinary }

// IsControl reports whether o is a control opcode: close, ping or pong.
func (o Opcode) IsControl() bool { return o == OpClose || o == OpPing || o == OpPong }

// maxControlPayload is the largest payload a control frame may carry (RFC 6455 §5.5).
const maxControlPayload = 125

// Frame is one whole WebSocket message or control frame: a text or binary
// message as the handler receives or pushes it (fragments already joined), or a
// ping, pong or close frame.
//
// The payload of a Frame handed to a callback is lent: it is valid until
// the callback returns, and the handler may change it meanwhile. Hosts read
// messages into buffers they reuse once the callback has returned (for an
// echo of 1 KiB, a third fewer allocations and a fifteenth of the bytes;
// up to 1.3 times the throughput), so a handler that keeps a payload — in
// its state, in an info for another connection, in a later Result — must
// copy it: string(f.Payload), bytes.Clone(f.Payload). The rule holds for
// every payload, though not every buffer is reused (sockhttp's gorilla
// host leaves a message over 64 KiB to the garbage collector). The simulator
// overwrites each payload once its callback has returned and reports a
// handler that pushes one later; under the race detector both hosts
// overwrite the buffers they take back too. So tests catch what production
// would corrupt.
//
// A Frame returned in a [Result], including the one handed to the callback
// (an echo), must not be changed until it is written. Drivers write what
// an event's callbacks pushed before the next event and before the payload
// lent for it is reused; one event may run several callbacks, though (the
// infos waiting, the timers due together), so a buffer pushed by one must
// not be reused by the next before it is written.
type Frame struct {
	Op      Opcode
	Payload []byte
}

// Text returns a text message frame. s must be valid UTF-8: a Result that
// pushes invalid text closes the connection with 1011 and [ErrBadResult], as
// browsers would fail the connection on it.
func Text(s string) Frame { return Frame{Op: OpText, Payload: []byte(s)} }

// Binary returns a binary message frame carrying b.
func Binary(b []byte) Frame { return Frame{Op: OpBinary, Payload: b} }

// String formats the frame for logs and traces: its opcode and payload, quoted
// for text and close frames, as hex for the others (an empty one is left out). Payloads over 64 bytes are
// elided, so two frames with the same String may differ: compare Op and
// Payload to tell frames apart.
func (f Frame) String() string {
	const show = 64
	p := f.Payload
	more := ""
	if len(p) > show {
		p, more = p[:show], fmt.Sprintf("…(%d bytes)", len(f.Payload))
	}
	switch f.Op {
	case OpText:
		return fmt.Sprintf("text %q%s", p, more)
	case OpClose:
		code, text, err := f.ParseClose()
		if err != nil {
			return fmt.Sprintf("close <malformed %x>", f.Payload)
		}
		if code == CloseNoStatus {
			return "close"
		}
		return fmt.Sprintf("close %d %q", int(code), text)
	}
	if len(p) == 0 {
		return f.Op.String() // not "binary ", which reads as a typo
	}
	return fmt.Sprintf("%s %x%s", f.Op, p, more)
}
