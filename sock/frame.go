package sock

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Opcode is the kind of a WebSocket frame (RFC 6455 §5.2).
type Opcode uint8

// The opcodes a Frame can carry. Continuation frames never reach a handler:
// transports join fragments into one whole message first.
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

// isData reports whether o carries application data.
func (o Opcode) isData() bool { return o == OpText || o == OpBinary }

// isControl reports whether o is a control opcode a Session exchanges.
func (o Opcode) isControl() bool { return o == OpClose || o == OpPing || o == OpPong }

// maxControlPayload is the largest payload a control frame may carry (RFC 6455 §5.5).
const maxControlPayload = 125

// Frame is one whole WebSocket message or control frame: a text or binary
// message as the handler receives or pushes it (fragments already joined), or a
// ping, pong or close frame.
//
// A Frame handed to a callback belongs to the handler, which may keep it. A
// Frame returned in a [Result] must not be modified afterwards: it is written
// after the callback returns.
type Frame struct {
	Op      Opcode
	Payload []byte
}

// Text returns a text message frame. The string must be valid UTF-8; sock does
// not check what handlers send.
func Text(s string) Frame { return Frame{Op: OpText, Payload: []byte(s)} }

// Binary returns a binary message frame carrying b.
func Binary(b []byte) Frame { return Frame{Op: OpBinary, Payload: b} }

// String formats the frame for logs and traces: its opcode and payload, quoted
// for text and close frames, as hex for the others. Long payloads are elided.
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
		code, reason, err := parseClose(f.Payload)
		if err != nil {
			return fmt.Sprintf("close <malformed %x>", f.Payload)
		}
		if code == CloseNoStatus {
			return "close"
		}
		return fmt.Sprintf("close %d %q", int(code), reason)
	}
	return fmt.Sprintf("%s %x%s", f.Op, p, more)
}

// CloseFrame returns a close frame with code and reason. CloseNoStatus gives a
// close frame with an empty payload, as RFC 6455 §7.1.5 prescribes.
func CloseFrame(code CloseCode, reason string) Frame {
	if code == CloseNoStatus {
		return Frame{Op: OpClose}
	}
	p := make([]byte, 2+len(reason))
	p[0], p[1] = byte(code>>8), byte(code)
	copy(p[2:], reason)
	return Frame{Op: OpClose, Payload: p}
}

// parseClose decodes a close frame's payload. It fails on a payload of one
// byte, a code a peer may not send, or a reason that is not valid UTF-8.
func parseClose(p []byte) (CloseCode, string, error) {
	switch {
	case len(p) == 0:
		return CloseNoStatus, "", nil
	case len(p) == 1:
		return 0, "", fmt.Errorf("%w: close payload of one byte", ErrProtocol)
	case len(p) > maxControlPayload:
		return 0, "", fmt.Errorf("%w: close payload of %d bytes", ErrProtocol, len(p))
	}
	code := CloseCode(p[0])<<8 | CloseCode(p[1])
	if !code.valid() {
		return 0, "", fmt.Errorf("%w: close code %d may not be sent", ErrProtocol, int(code))
	}
	if !utf8.Valid(p[2:]) {
		return 0, "", fmt.Errorf("%w: close reason is not UTF-8", ErrProtocol)
	}
	return code, string(p[2:]), nil
}
