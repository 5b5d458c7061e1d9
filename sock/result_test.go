package sock_test

import (
	"errors"
	"testing"

	"github.com/sockkit/sockkit/sock"
)

func TestResultString(t *testing.T) {
	tests := []struct {
		r    sock.Result
		want string
	}{
		{sock.Continue(), "continue"},
		{sock.Result{}, "continue"},
		{sock.Push(sock.Text("hi")), `push [text "hi"]`},
		{sock.Push(sock.Text("a"), sock.Binary([]byte{7}), sock.Frame{Op: sock.OpPing}), `push [text "a", binary 07, ping]`},
		{sock.Stop(), "stop"},
		{sock.Push(sock.Text("a")).Stop(), `push [text "a"] then stop`},
		{sock.Close(4000, "bye"), `close 4000 "bye"`},
		{sock.Push(sock.Text("a")).Close(1000, ""), `push [text "a"] then close 1000 ""`},
		{sock.StopWith(errors.New("db gone")), "stop with error 1011: db gone"},
		{sock.StopWith(&sock.CloseError{Code: 4001}), "stop with error 4001: sock: close 4001"},
		{sock.StopWith(nil), "stop"},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("Result.String() = %q, want %q", got, tt.want)
		}
	}
}

func TestResultClone(t *testing.T) {
	a, b := []byte("lent"), []byte("more")
	r := sock.Push(sock.Binary(a), sock.Binary(b)).Close(4000, "bye")
	kept := r.Clone(nil)
	copy(a, "XXXX")
	copy(b, "YYYY")
	if got, want := kept.String(), `push [binary 6c656e74, binary 6d6f7265] then close 4000 "bye"`; got != want {
		t.Errorf("the clone after its payloads were reused: %s, want %s", got, want)
	}
	var cloned int
	counting := func(p []byte) []byte { cloned++; return append([]byte(nil), p...) }
	sock.Push(sock.Text("a"), sock.Text("b"), sock.Text("c")).Clone(counting)
	if cloned != 3 {
		t.Errorf("clone was called %d times for 3 frames, want 3", cloned)
	}
	if got := sock.Close(1000, "x").Clone(nil).String(); got != `close 1000 "x"` {
		t.Errorf("a Result without frames cloned: %s", got)
	}
}
