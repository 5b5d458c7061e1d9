package wire_test

import (
	"bytes"
	"testing"

	"github.com/sockkit/sockkit/internal/wire"
)

func TestFrame(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    wire.Header
		p    []byte
		want []byte
	}{
		{"masked text", wire.Header{Fin: true, Op: 1, Masked: true}, []byte("Hi"),
			[]byte{0x81, 0x82, 0x12, 0x34, 0x56, 0x78, 'H' ^ 0x12, 'i' ^ 0x34}},
		{"unmasked, RSV1, not final", wire.Header{RSV: 0x40, Op: 2}, []byte{7}, []byte{0x42, 0x01, 7}},
	} {
		if got := wire.Frame(tc.h, tc.p); !bytes.Equal(got, tc.want) {
			t.Errorf("%s: % x, want % x", tc.name, got, tc.want)
		}
	}
}

func TestHeadLengths(t *testing.T) {
	for _, tc := range []struct {
		length uint64
		want   []byte
	}{
		{125, []byte{0x82, 125}},
		{126, []byte{0x82, 126, 0, 126}},
		{0xFFFF, []byte{0x82, 126, 0xFF, 0xFF}},
		{0x10000, []byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
		{1<<63 - 1, []byte{0x82, 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
	} {
		if got := wire.Head(wire.Header{Fin: true, Op: 2}, tc.length); !bytes.Equal(got, tc.want) {
			t.Errorf("length %d: % x, want % x", tc.length, got, tc.want)
		}
	}
}
