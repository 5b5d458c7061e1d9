// Package wire encodes frames as a WebSocket client sends them, byte for
// byte: for tests that send what client libraries refuse to (a reserved
// bit, an unmasked frame, a length no message has) or several frames in
// one write.
package wire

import "encoding/binary"

// Header is what a frame's header says besides its length.
type Header struct {
	Fin    bool
	RSV    byte // RSV1 to RSV3, as the bits 0x40, 0x20 and 0x10
	Op     byte
	Masked bool
}

// Key masks the frames Frame and Head encode: a fixed key, so that what a
// test sends reads the same in every run. A client of real servers draws
// one per frame, for Append.
var Key = [4]byte{0x12, 0x34, 0x56, 0x78}

// Head encodes h's header for a payload of length bytes, with Key if h is
// masked: what a frame's payload follows.
func Head(h Header, length uint64) []byte { return appendHead(nil, h, Key, length) }

// Frame encodes a frame with header h and payload p, masked with Key if h
// says so.
func Frame(h Header, p []byte) []byte { return Append(nil, h, Key, p) }

// Append appends to b a frame with header h and payload p, masked with key
// if h says so.
func Append(b []byte, h Header, key [4]byte, p []byte) []byte {
	b = appendHead(b, h, key, uint64(len(p)))
	at := len(b)
	b = append(b, p...)
	if h.Masked {
		for i := range p {
			b[at+i] ^= key[i%4]
		}
	}
	return b
}

func appendHead(b []byte, h Header, key [4]byte, length uint64) []byte {
	b0 := h.RSV | h.Op
	if h.Fin {
		b0 |= 0x80
	}
	var mask byte
	if h.Masked {
		mask = 0x80
	}
	b = append(b, b0)
	switch {
	case length < 126:
		b = append(b, mask|byte(length))
	case length <= 0xFFFF:
		b = binary.BigEndian.AppendUint16(append(b, mask|126), uint16(length))
	default:
		b = binary.BigEndian.AppendUint64(append(b, mask|127), length)
	}
	if h.Masked {
		b = append(b, key[:]...)
	}
	return b
}
