package sock_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sockkit/sockkit/sock"
)

// rawClose returns a close frame with any code, even one CloseFrame would
// encode differently (CloseNoStatus), as a misbehaving client may send it.
func rawClose(code uint16, reason string) sock.Frame {
	return sock.Frame{Op: sock.OpClose, Payload: append([]byte{byte(code >> 8), byte(code)}, reason...)}
}

// TestBadResult checks that a Result which cannot be honoured closes with
// 1011, writes none of its frames and reports ErrBadResult.
func TestBadResult(t *testing.T) {
	type badCase struct {
		name   string
		result sock.Result
	}
	var tests []badCase
	for _, code := range []sock.CloseCode{0, 999, 1004, 1005, 1006, 1014, 1015, 1016, 2999, 5000, 65535} {
		tests = append(tests, badCase{
			name:   fmt.Sprintf("close code %d", int(code)),
			result: sock.Push(sock.Text("lost")).Close(code, ""),
		})
	}
	tests = append(tests,
		badCase{"close reason of 124 bytes", sock.Push(sock.Text("lost")).Close(sock.CloseNormal, strings.Repeat("a", 124))},
		badCase{"close reason of 124 bytes of UTF-8", sock.Close(sock.CloseNormal, strings.Repeat("é", 62))},
		badCase{"close reason not UTF-8", sock.Push(sock.Text("lost")).Close(sock.CloseNormal, "bad \xff")},
		badCase{"close reason with a cut rune", sock.Close(4000, "é"[:1])},
		badCase{"push close frame", sock.Push(sock.CloseFrame(sock.CloseNormal, ""))},
		badCase{"push close frame after data", sock.Push(sock.Text("lost"), sock.CloseFrame(sock.CloseNormal, ""))},
		badCase{"push close frame then Stop", sock.Push(sock.CloseFrame(sock.CloseNormal, "")).Stop()},
		badCase{"push text that is not UTF-8", sock.Push(sock.Text("lost"), sock.Text("bad \xff"))},
		badCase{"push text with a cut rune", sock.Push(sock.Frame{Op: sock.OpText, Payload: []byte("é")[:1]})},
		// StopWith reports a CloseError that cannot be sent as Close does.
		badCase{"StopWith CloseError 1006", sock.Push(sock.Text("lost")).StopWith(&sock.CloseError{Code: sock.CloseAbnormal})},
		badCase{"StopWith wrapped CloseError 1005", sock.StopWith(fmt.Errorf("x: %w", &sock.CloseError{Code: sock.CloseNoStatus}))},
		badCase{"StopWith CloseError text not UTF-8", sock.StopWith(&sock.CloseError{Code: 4000, Text: "\xff"})},
		badCase{"push continuation frame", sock.Push(sock.Frame{Op: sock.OpContinuation, Payload: []byte("x")})},
		badCase{"push unknown opcode", sock.Push(sock.Frame{Op: 3})},
		badCase{"push ping of 126 bytes", sock.Push(sock.Text("lost"), sock.Frame{Op: sock.OpPing, Payload: make([]byte, 126)})},
		badCase{"push pong of 126 bytes", sock.Push(sock.Frame{Op: sock.OpPong, Payload: make([]byte, 126)})},
		badCase{"bad frame with a valid close", sock.Push(sock.Frame{Op: sock.OpPing, Payload: make([]byte, 200)}).Close(sock.CloseNormal, "ok")},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{in: func(c *sock.Conn, f sock.Frame) sock.Result { return tt.result }}
			s := start(t, h, nil)
			s.Receive(at(time.Second), sock.Text("x"))
			wantOutput(t, s, `close 1011 ""`)
			r := h.reason(t)
			wantReason(t, r, sock.ReasonError, sock.CloseInternalError, "", sock.ErrBadResult)
			wantReason(t, s.Reason(), sock.ReasonError, sock.CloseInternalError, "", sock.ErrBadResult)
			wantCalls(t, h, "init", `in text "x"`, "terminate "+r.String())
			if s.Done() {
				t.Errorf("Done() = true, want false: the server waits for the client's close")
			}
			wantInert(t, s, h, at(2*time.Second))
		})
	}
}

// TestBadResultFromEveryCallback checks the ErrBadResult rule for the
// Results of Init, HandleControl and HandleInfo as well.
func TestBadResultFromEveryCallback(t *testing.T) {
	bad := sock.Push(sock.Text("lost")).Close(1005, "")
	tests := []struct {
		name      string
		setup     func(h *recorder)
		drive     func(s *sock.Session)
		wantCalls []string
		wantOut   []string
	}{
		{
			name:      "Init",
			setup:     func(h *recorder) { h.init = func(*sock.Conn) sock.Result { return bad } },
			drive:     func(s *sock.Session) {},
			wantCalls: []string{"init"},
			wantOut:   []string{`close 1011 ""`},
		},
		{
			name:      "HandleControl",
			setup:     func(h *recorder) { h.control = func(*sock.Conn, sock.Frame) sock.Result { return bad } },
			drive:     func(s *sock.Session) { s.Receive(at(time.Second), sock.Frame{Op: sock.OpPing, Payload: []byte{1}}) },
			wantCalls: []string{"init", "control ping 01"},
			wantOut:   []string{"pong 01", `close 1011 ""`}, // the pong is not the Result's
		},
		{
			name:  "HandleInfo",
			setup: func(h *recorder) { h.info = func(*sock.Conn, any) sock.Result { return bad } },
			drive: func(s *sock.Session) {
				if err := s.Conn().SendInfo("m"); err != nil {
					panic(err)
				}
				s.DeliverInfo(at(time.Second))
			},
			wantCalls: []string{"init", "info m"},
			wantOut:   []string{`close 1011 ""`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{}
			tt.setup(h)
			s := start(t, h, nil)
			tt.drive(s)
			wantOutput(t, s, tt.wantOut...)
			r := h.reason(t)
			wantReason(t, r, sock.ReasonError, sock.CloseInternalError, "", sock.ErrBadResult)
			wantCalls(t, h, append(tt.wantCalls, "terminate "+r.String())...)
		})
	}
}

// TestValidCloseResult checks the codes and reasons a handler may close with.
func TestValidCloseResult(t *testing.T) {
	type validCase struct {
		code   sock.CloseCode
		reason string
	}
	var tests []validCase
	// 1012 and 1013 are registered with IANA; 1014 is too, but gorilla
	// clients reject it (see CloseCode.Valid).
	for _, code := range []sock.CloseCode{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 3000, 3999, 4000, 4999} {
		tests = append(tests, validCase{code, "why"})
	}
	tests = append(tests,
		validCase{sock.CloseNormal, ""},
		validCase{sock.CloseNormal, strings.Repeat("a", 123)},
		validCase{4000, strings.Repeat("é", 61) + "a"}, // 123 bytes of UTF-8
	)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %d bytes", int(tt.code), len(tt.reason)), func(t *testing.T) {
			h := &recorder{in: func(c *sock.Conn, f sock.Frame) sock.Result {
				return sock.Push(sock.Text("kept")).Close(tt.code, tt.reason)
			}}
			s := start(t, h, nil)
			s.Receive(at(time.Second), sock.Text("x"))
			out := s.Output()
			if len(out) != 2 || out[0].String() != `text "kept"` {
				t.Fatalf("Output() = %v, want [text \"kept\" close]", out)
			}
			want := sock.CloseFrame(tt.code, tt.reason)
			if out[1].Op != sock.OpClose || string(out[1].Payload) != string(want.Payload) {
				t.Errorf("close frame = %v, want %v", out[1], want)
			}
			wantReason(t, h.reason(t), sock.ReasonNormal, tt.code, tt.reason, nil)
		})
	}
}

// TestValidPushedControlFrames checks that pings and pongs of up to 125 bytes
// may be pushed.
func TestValidPushedControlFrames(t *testing.T) {
	p := make([]byte, 125)
	h := &recorder{in: func(c *sock.Conn, f sock.Frame) sock.Result {
		return sock.Push(sock.Frame{Op: sock.OpPing, Payload: p}, sock.Frame{Op: sock.OpPong, Payload: p})
	}}
	s := start(t, h, nil)
	s.Receive(at(time.Second), sock.Text("x"))
	out := s.Output()
	if len(out) != 2 || out[0].Op != sock.OpPing || out[1].Op != sock.OpPong || len(out[0].Payload) != 125 || len(out[1].Payload) != 125 {
		t.Errorf("Output() = %v, want a ping and a pong of 125 bytes", out)
	}
	if len(h.reasons) != 0 {
		t.Errorf("Terminate ran with %v, want the connection open", h.reasons)
	}
}

func TestClientClose(t *testing.T) {
	tests := []struct {
		name     string
		frame    sock.Frame
		wantOut  string
		wantCode sock.CloseCode
		wantText string
	}{
		{"empty", sock.Frame{Op: sock.OpClose}, "close", sock.CloseNoStatus, ""},
		{"empty non-nil payload", sock.Frame{Op: sock.OpClose, Payload: []byte{}}, "close", sock.CloseNoStatus, ""},
		{"normal", sock.CloseFrame(sock.CloseNormal, ""), `close 1000 ""`, sock.CloseNormal, ""},
		{"normal with reason", sock.CloseFrame(sock.CloseNormal, "bye"), `close 1000 ""`, sock.CloseNormal, "bye"},
		{"going away", sock.CloseFrame(sock.CloseGoingAway, "tab closed"), `close 1001 ""`, sock.CloseGoingAway, "tab closed"},
		{"protocol error", sock.CloseFrame(sock.CloseProtocolError, ""), `close 1002 ""`, sock.CloseProtocolError, ""},
		{"1013", sock.CloseFrame(sock.CloseTryAgainLater, ""), `close 1013 ""`, sock.CloseTryAgainLater, ""},
		{"private code", sock.CloseFrame(4999, "app"), `close 4999 ""`, 4999, "app"},
		{"reason of 123 bytes", sock.CloseFrame(3000, strings.Repeat("r", 123)), `close 3000 ""`, 3000, strings.Repeat("r", 123)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{}
			s := start(t, h, nil)
			s.Receive(at(time.Second), tt.frame)
			wantOutput(t, s, tt.wantOut) // the server echoes the code, at once
			if !s.Done() {
				t.Errorf("Done() = false after the client's close, want true")
			}
			r := h.reason(t)
			wantReason(t, r, sock.ReasonRemote, tt.wantCode, tt.wantText, nil)
			var ce *sock.CloseError
			if !errors.As(r.Err, &ce) || ce.Code != tt.wantCode || ce.Text != tt.wantText {
				t.Errorf("Reason.Err = %#v, want &CloseError{%v, %q}", r.Err, tt.wantCode, tt.wantText)
			}
			if got := sock.CloseStatus(r.Err); got != tt.wantCode {
				t.Errorf("CloseStatus(Reason.Err) = %v, want %v", got, tt.wantCode)
			}
			wantCalls(t, h, "init", "terminate "+r.String())
			wantDead(t, s, h, at(2*time.Second))
		})
	}
}

func TestClientCloseMalformed(t *testing.T) {
	tests := []struct {
		name  string
		frame sock.Frame
	}{
		{"one byte", sock.Frame{Op: sock.OpClose, Payload: []byte{0x03}}},
		{"126 bytes", rawClose(1000, strings.Repeat("a", 124))},
		{"reason not UTF-8", rawClose(1000, "bad \xff")},
		{"reason with a cut rune", rawClose(1000, "é"[:1])},
	}
	for _, code := range []uint16{0, 999, 1004, 1005, 1006, 1014, 1015, 1016, 2999, 5000, 65535} {
		tests = append(tests, struct {
			name  string
			frame sock.Frame
		}{fmt.Sprintf("code %d", code), rawClose(code, "")})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{}
			s := start(t, h, nil)
			s.Receive(at(time.Second), tt.frame)
			wantOutput(t, s, `close 1002 ""`)
			if !s.Done() {
				t.Errorf("Done() = false after a malformed close, want true")
			}
			r := h.reason(t)
			wantReason(t, r, sock.ReasonError, sock.CloseProtocolError, "", sock.ErrProtocol)
			wantCalls(t, h, "init", "terminate "+r.String())
			wantDead(t, s, h, at(2*time.Second))
		})
	}
}

// TestServerCloseHandshake checks the closing handshake the server starts:
// close sent, then wait for the client's close until the CloseTimeout.
func TestServerCloseHandshake(t *testing.T) {
	stop := func(h *recorder) { h.in = func(*sock.Conn, sock.Frame) sock.Result { return sock.Stop() } }
	tests := []struct {
		name        string
		opts        *sock.Options
		closeAt     time.Duration // when the Stop happens
		wantTimeout time.Duration // CloseTimeout in force
	}{
		{"default CloseTimeout", nil, time.Second, 5 * time.Second},
		{"CloseTimeout 2s", &sock.Options{CloseTimeout: 2 * time.Second}, 3 * time.Second, 2 * time.Second},
		{"idle and keepalive off", &sock.Options{IdleTimeout: -1, CloseTimeout: time.Minute}, 0, time.Minute},
	}
	for _, tt := range tests {
		due := at(tt.closeAt + tt.wantTimeout)

		t.Run(tt.name+"/client answers", func(t *testing.T) {
			h := &recorder{}
			stop(h)
			s := start(t, h, tt.opts)
			s.Receive(at(tt.closeAt), sock.Text("bye"))
			wantOutput(t, s, `close 1000 ""`)
			if s.Done() {
				t.Fatalf("Done() = true right after the server's close, want false until the client answers")
			}
			if got := s.Deadline(); !got.Equal(due) {
				t.Errorf("Deadline() while closing = %v, want %v", got, due)
			}
			// Data from the client while closing is dropped, pings unanswered.
			wantInert(t, s, h, due.Add(-time.Millisecond))
			if s.Done() {
				t.Fatalf("Done() = true before the client's close, want false")
			}
			s.Receive(due.Add(-time.Millisecond), sock.CloseFrame(sock.CloseNormal, ""))
			wantOutput(t, s) // no second close frame
			if !s.Done() {
				t.Errorf("Done() = false after the client's close, want true")
			}
			r := h.reason(t)
			wantReason(t, r, sock.ReasonNormal, sock.CloseNormal, "", nil)
			wantCalls(t, h, "init", `in text "bye"`, "terminate "+r.String())
			wantDead(t, s, h, due)
		})

		t.Run(tt.name+"/client silent", func(t *testing.T) {
			h := &recorder{}
			stop(h)
			s := start(t, h, tt.opts)
			s.Receive(at(tt.closeAt), sock.Text("bye"))
			wantOutput(t, s, `close 1000 ""`)
			s.Tick(due.Add(-time.Nanosecond))
			if s.Done() {
				t.Fatalf("Done() = true before the CloseTimeout, want false")
			}
			s.Tick(due)
			if !s.Done() {
				t.Errorf("Done() = false at the CloseTimeout, want true")
			}
			wantOutput(t, s)
			r := h.reason(t)
			wantReason(t, r, sock.ReasonNormal, sock.CloseNormal, "", nil)
			wantCalls(t, h, "init", `in text "bye"`, "terminate "+r.String())
			wantDead(t, s, h, due)
		})

		t.Run(tt.name+"/transport fails", func(t *testing.T) {
			h := &recorder{}
			stop(h)
			s := start(t, h, tt.opts)
			s.Receive(at(tt.closeAt), sock.Text("bye"))
			wantOutput(t, s, `close 1000 ""`)
			s.Fail(at(tt.closeAt+time.Millisecond), errors.New("reset"))
			if !s.Done() {
				t.Errorf("Done() = false after Fail while closing, want true")
			}
			wantOutput(t, s)
			// The reason stays the one of the close.
			wantReason(t, h.reason(t), sock.ReasonNormal, sock.CloseNormal, "", nil)
			wantReason(t, s.Reason(), sock.ReasonNormal, sock.CloseNormal, "", nil)
		})
	}
}

func TestShutdown(t *testing.T) {
	h := &recorder{}
	s := start(t, h, nil)
	s.Shutdown(at(time.Second))
	wantOutput(t, s, `close 1001 "server shutdown"`)
	r := h.reason(t)
	wantReason(t, r, sock.ReasonShutdown, sock.CloseGoingAway, "server shutdown", nil)
	if r.Err != nil {
		t.Errorf("Reason.Err = %v, want nil", r.Err)
	}
	if s.Done() {
		t.Errorf("Done() = true right after Shutdown, want false until the handshake ends")
	}
	s.Shutdown(at(2 * time.Second)) // a second Shutdown does nothing
	wantOutput(t, s)
	s.Receive(at(2*time.Second), sock.CloseFrame(sock.CloseGoingAway, ""))
	if !s.Done() {
		t.Errorf("Done() = false after the client's close, want true")
	}
	wantCalls(t, h, "init", "terminate "+r.String())
	wantDead(t, s, h, at(3*time.Second))
}

// TestFail checks a transport failure: Fail reports errors the transport
// detected; the rules it broke close with their code, anything else ends the
// connection without a close frame.
func TestFail(t *testing.T) {
	errReset := errors.New("connection reset by peer")
	writeTimeout := fmt.Errorf("%w: i/o timeout", sock.ErrWriteTimeout)
	tests := []struct {
		name     string
		err      error
		wantOut  []string
		wantCode sock.CloseCode
		wantErrs []error // each must match with errors.Is
	}{
		{"nil", nil, nil, sock.CloseAbnormal, []error{sock.ErrConnectionLost}},
		{"read error", errReset, nil, sock.CloseAbnormal, []error{sock.ErrConnectionLost, errReset}},
		{"ErrConnectionLost", sock.ErrConnectionLost, nil, sock.CloseAbnormal, []error{sock.ErrConnectionLost}},
		{"write timeout", writeTimeout, nil, sock.CloseAbnormal, []error{sock.ErrWriteTimeout}},
		{"protocol", fmt.Errorf("%w: reserved bits set", sock.ErrProtocol), []string{`close 1002 ""`}, sock.CloseProtocolError, []error{sock.ErrProtocol}},
		{"too big", fmt.Errorf("%w: 2 MiB", sock.ErrMessageTooBig), []string{`close 1009 ""`}, sock.CloseTooBig, []error{sock.ErrMessageTooBig}},
		{"invalid UTF-8", sock.ErrInvalidUTF8, []string{`close 1007 ""`}, sock.CloseInvalidPayload, []error{sock.ErrInvalidUTF8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{}
			s := start(t, h, nil)
			s.Fail(at(time.Second), tt.err)
			wantOutput(t, s, tt.wantOut...)
			if !s.Done() {
				t.Errorf("Done() = false after Fail, want true")
			}
			r := h.reason(t)
			wantReason(t, r, sock.ReasonError, tt.wantCode, "", nil)
			for _, want := range tt.wantErrs {
				if !errors.Is(r.Err, want) {
					t.Errorf("Reason.Err = %v, want errors.Is(_, %v)", r.Err, want)
				}
			}
			wantCalls(t, h, "init", "terminate "+r.String())
			wantDead(t, s, h, at(2*time.Second))
		})
	}
}

// TestTerminateOnceAndLast drives the session to its end along every path and
// checks that Terminate ran exactly once, after every other callback, and that
// nothing reaches the handler afterwards.
func TestTerminateOnceAndLast(t *testing.T) {
	tests := []struct {
		name  string
		opts  *sock.Options
		setup func(h *recorder)
		drive func(s *sock.Session)
		kind  sock.ReasonKind
	}{
		{"Init stops", nil, func(h *recorder) { h.init = func(*sock.Conn) sock.Result { return sock.Stop() } },
			func(s *sock.Session) {}, sock.ReasonNormal},
		{"HandleIn stops", nil, func(h *recorder) { h.in = func(*sock.Conn, sock.Frame) sock.Result { return sock.Stop() } },
			func(s *sock.Session) { s.Receive(at(time.Second), sock.Text("x")) }, sock.ReasonNormal},
		{"HandleControl closes", nil, func(h *recorder) {
			h.control = func(*sock.Conn, sock.Frame) sock.Result { return sock.Close(4000, "") }
		}, func(s *sock.Session) { s.Receive(at(time.Second), sock.Frame{Op: sock.OpPong}) }, sock.ReasonNormal},
		{"HandleInfo errs", nil, func(h *recorder) {
			h.info = func(*sock.Conn, any) sock.Result { return sock.StopWith(errors.New("no")) }
		}, func(s *sock.Session) { _ = s.Conn().SendInfo(1); s.DeliverInfo(at(time.Second)) }, sock.ReasonError},
		{"timer closes", nil, func(h *recorder) {
			h.init = func(c *sock.Conn) sock.Result { c.After(time.Second, "t"); return sock.Continue() }
			h.info = func(*sock.Conn, any) sock.Result { return sock.Stop() }
		}, func(s *sock.Session) { s.Tick(at(time.Second)) }, sock.ReasonNormal},
		{"panic", nil, func(h *recorder) { h.in = func(*sock.Conn, sock.Frame) sock.Result { panic("boom") } },
			func(s *sock.Session) { s.Receive(at(time.Second), sock.Text("x")) }, sock.ReasonError},
		{"bad result", nil, func(h *recorder) { h.in = func(*sock.Conn, sock.Frame) sock.Result { return sock.Close(0, "") } },
			func(s *sock.Session) { s.Receive(at(time.Second), sock.Text("x")) }, sock.ReasonError},
		{"client close", nil, func(h *recorder) {},
			func(s *sock.Session) { s.Receive(at(time.Second), sock.CloseFrame(sock.CloseNormal, "")) }, sock.ReasonRemote},
		{"shutdown", nil, func(h *recorder) {}, func(s *sock.Session) { s.Shutdown(at(time.Second)) }, sock.ReasonShutdown},
		{"idle timeout", nil, func(h *recorder) {}, func(s *sock.Session) { s.Tick(at(time.Minute)) }, sock.ReasonTimeout},
		{"pong timeout", &sock.Options{PingInterval: time.Second}, func(h *recorder) {},
			func(s *sock.Session) { s.Tick(at(time.Second)); s.Tick(at(2 * time.Second)) }, sock.ReasonTimeout},
		{"protocol violation", nil, func(h *recorder) {},
			func(s *sock.Session) { s.Receive(at(time.Second), sock.Frame{Op: 0xB}) }, sock.ReasonError},
		{"invalid UTF-8", nil, func(h *recorder) {},
			func(s *sock.Session) { s.Receive(at(time.Second), sock.Text("\xc3")) }, sock.ReasonError},
		{"too big", &sock.Options{MaxMessageSize: 1}, func(h *recorder) {},
			func(s *sock.Session) { s.Receive(at(time.Second), sock.Binary([]byte{1, 2})) }, sock.ReasonError},
		{"transport failure", nil, func(h *recorder) {}, func(s *sock.Session) { s.Fail(at(time.Second), nil) }, sock.ReasonError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{}
			tt.setup(h)
			s := start(t, h, tt.opts)
			tt.drive(s)
			_ = s.Output()
			r := h.reason(t)
			if r.Kind != tt.kind {
				t.Errorf("Reason.Kind = %v, want %v", r.Kind, tt.kind)
			}
			if h.calls[0] != "init" {
				t.Errorf("first callback = %q, want init", h.calls[0])
			}
			if last := h.calls[len(h.calls)-1]; !strings.HasPrefix(last, "terminate ") {
				t.Errorf("last callback = %q, want terminate (calls %q)", last, h.calls)
			}
			if got := s.Conn().SendInfo("after"); !errors.Is(got, sock.ErrClosed) {
				t.Errorf("Conn.Send after Terminate = %v, want ErrClosed", got)
			}
			wantInert(t, s, h, at(90*time.Second))
			// Finish the handshake if it is still going, then check again.
			s.Tick(at(time.Hour))
			wantDead(t, s, h, at(2*time.Hour))
			if len(h.reasons) != 1 {
				t.Errorf("Terminate ran %d times, want 1", len(h.reasons))
			}
		})
	}
}
