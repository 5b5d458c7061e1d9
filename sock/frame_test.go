package sock_test

import (
	"strings"
	"testing"

	"github.com/sockkit/sockkit/sock"
)

func TestOpcodeString(t *testing.T) {
	tests := []struct {
		op   sock.Opcode
		want string
	}{
		{sock.OpContinuation, "continuation"},
		{sock.OpText, "text"},
		{sock.OpBinary, "binary"},
		{sock.OpClose, "close"},
		{sock.OpPing, "ping"},
		{sock.OpPong, "pong"},
		{3, "opcode(3)"},
		{0xF, "opcode(15)"},
	}
	for _, tt := range tests {
		if got := tt.op.String(); got != tt.want {
			t.Errorf("Opcode(%d).String() = %q, want %q", uint8(tt.op), got, tt.want)
		}
	}
}

func TestFrameString(t *testing.T) {
	tests := []struct {
		f    sock.Frame
		want string
	}{
		{sock.Text("hi \"you\""), `text "hi \"you\""`},
		{sock.Text(""), `text ""`},
		{sock.Text(strings.Repeat("a", 100)), `text "` + strings.Repeat("a", 64) + `"…(100 bytes)`},
		{sock.Binary([]byte{0, 0xff}), "binary 00ff"},
		{sock.Binary(make([]byte, 65)), "binary " + strings.Repeat("00", 64) + "…(65 bytes)"},
		{sock.Frame{Op: sock.OpPing, Payload: []byte("ab")}, "ping 6162"},
		{sock.Frame{Op: sock.OpPong}, "pong"},
		{sock.CloseFrame(sock.CloseNormal, "bye"), `close 1000 "bye"`},
		{sock.CloseFrame(4000, ""), `close 4000 ""`},
		{sock.Frame{Op: sock.OpClose}, "close"},
		{sock.Frame{Op: sock.OpClose, Payload: []byte{3}}, "close <malformed 03>"},
		{sock.Frame{Op: sock.OpClose, Payload: []byte{0, 0}}, "close <malformed 0000>"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("Frame{%v, %x}.String() = %q, want %q", tt.f.Op, tt.f.Payload, got, tt.want)
		}
	}
}

func TestFrameConstructors(t *testing.T) {
	tests := []struct {
		name        string
		f           sock.Frame
		wantOp      sock.Opcode
		wantPayload string
	}{
		{"Text", sock.Text("héllo"), sock.OpText, "héllo"},
		{"Binary", sock.Binary([]byte{1, 2}), sock.OpBinary, "\x01\x02"},
		{"CloseFrame", sock.CloseFrame(sock.CloseNormal, "bye"), sock.OpClose, "\x03\xe8bye"},
		{"CloseFrame 4999", sock.CloseFrame(4999, ""), sock.OpClose, "\x13\x87"},
		{"CloseFrame CloseNoStatus", sock.CloseFrame(sock.CloseNoStatus, "ignored"), sock.OpClose, ""},
	}
	for _, tt := range tests {
		if tt.f.Op != tt.wantOp || string(tt.f.Payload) != tt.wantPayload {
			t.Errorf("%s = {%v, %q}, want {%v, %q}", tt.name, tt.f.Op, tt.f.Payload, tt.wantOp, tt.wantPayload)
		}
	}
}
