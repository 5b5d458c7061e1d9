package sock_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sockkit/sockkit/sock"
)

func TestPingIsAnsweredBeforeHandleControl(t *testing.T) {
	h := &recorder{control: func(c *sock.Conn, f sock.Frame) sock.Result {
		return sock.Push(sock.Text("seen " + f.Op.String()))
	}}
	s := start(t, h, nil)
	s.Receive(at(time.Second), sock.Frame{Op: sock.OpPing, Payload: []byte("abc")})
	wantOutput(t, s, "pong 616263", `text "seen ping"`)
	s.Receive(at(2*time.Second), sock.Frame{Op: sock.OpPong, Payload: []byte("xy")})
	wantOutput(t, s, `text "seen pong"`) // a pong is not answered
	wantCalls(t, h, "init", "control ping 616263", "control pong 7879")
}

func TestPongPayload(t *testing.T) {
	full := bytes.Repeat([]byte{0xab}, 125)
	tests := []struct {
		name    string
		handler func(h *recorder) sock.Handler
		payload []byte
	}{
		{"with HandleControl", func(h *recorder) sock.Handler { return h }, []byte("abc")},
		{"without HandleControl", func(h *recorder) sock.Handler { return basic{h} }, []byte("abc")},
		{"empty", func(h *recorder) sock.Handler { return h }, nil},
		{"empty without HandleControl", func(h *recorder) sock.Handler { return basic{h} }, []byte{}},
		{"125 bytes", func(h *recorder) sock.Handler { return h }, full},
		{"125 bytes without HandleControl", func(h *recorder) sock.Handler { return basic{h} }, full},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{}
			s := start(t, tt.handler(h), nil)
			ping := sock.Frame{Op: sock.OpPing, Payload: bytes.Clone(tt.payload)}
			s.Receive(at(time.Second), ping)
			want := []sock.Frame{{Op: sock.OpPong, Payload: tt.payload}}
			if diff := cmp.Diff(want, s.Output(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Output() mismatch (-want +got):\n%s", diff)
			}
			if s.Done() || len(h.reasons) != 0 {
				t.Errorf("session ended (%v) after a ping, want it open", h.reasons)
			}
		})
	}
}

// TestHandleControlCannotChangeThePong mutates and keeps the ping's payload in
// HandleControl; the pong queued before must still carry the original bytes.
func TestHandleControlCannotChangeThePong(t *testing.T) {
	var kept sock.Frame
	h := &recorder{control: func(c *sock.Conn, f sock.Frame) sock.Result {
		kept = f
		for i := range f.Payload {
			f.Payload[i] = 'X'
		}
		return sock.Continue()
	}}
	s := start(t, h, nil)
	s.Receive(at(time.Second), sock.Frame{Op: sock.OpPing, Payload: []byte("abc")})
	out := s.Output()
	if len(out) != 1 || out[0].Op != sock.OpPong || string(out[0].Payload) != "abc" {
		t.Errorf("Output() = %v, want [pong 616263]", out)
	}
	if string(kept.Payload) != "XXX" {
		t.Errorf("kept ping payload = %q, want the handler's own copy %q", kept.Payload, "XXX")
	}
}

func TestPingWhilePushing(t *testing.T) {
	// A ping between two messages is answered in place: frames keep the order
	// of the events that caused them.
	h := &recorder{in: func(c *sock.Conn, f sock.Frame) sock.Result { return sock.Push(f) }}
	s := start(t, h, nil)
	s.Receive(at(time.Second), sock.Text("a"))
	s.Receive(at(time.Second), sock.Frame{Op: sock.OpPing, Payload: []byte{1}})
	s.Receive(at(time.Second), sock.Text("b"))
	wantOutput(t, s, `text "a"`, "pong 01", `text "b"`)
}

// TestReceiveViolations checks what the session itself rejects in the
// client's frames.
func TestReceiveViolations(t *testing.T) {
	big := func(n int) []byte { return bytes.Repeat([]byte{'a'}, n) }
	tests := []struct {
		name     string
		opts     *sock.Options
		frame    sock.Frame
		wantOut  string
		wantCode sock.CloseCode
		wantErr  error
	}{
		{"invalid UTF-8", nil, sock.Text("ok \xff"), `close 1007 ""`, sock.CloseInvalidPayload, sock.ErrInvalidUTF8},
		{"cut rune", nil, sock.Text("é"[:1]), `close 1007 ""`, sock.CloseInvalidPayload, sock.ErrInvalidUTF8},
		{"surrogate", nil, sock.Text("\xed\xa0\x80"), `close 1007 ""`, sock.CloseInvalidPayload, sock.ErrInvalidUTF8},
		{"text over MaxMessageSize", &sock.Options{MaxMessageSize: 8}, sock.Text("123456789"), `close 1009 ""`, sock.CloseTooBig, sock.ErrMessageTooBig},
		{"binary over MaxMessageSize", &sock.Options{MaxMessageSize: 8}, sock.Binary(big(9)), `close 1009 ""`, sock.CloseTooBig, sock.ErrMessageTooBig},
		{"over the default 1 MiB", nil, sock.Binary(big(1<<20 + 1)), `close 1009 ""`, sock.CloseTooBig, sock.ErrMessageTooBig},
		{"oversize and invalid UTF-8", &sock.Options{MaxMessageSize: 1}, sock.Text("\xff\xff"), `close 1009 ""`, sock.CloseTooBig, sock.ErrMessageTooBig},
		{"ping of 126 bytes", nil, sock.Frame{Op: sock.OpPing, Payload: big(126)}, `close 1002 ""`, sock.CloseProtocolError, sock.ErrProtocol},
		{"pong of 126 bytes", nil, sock.Frame{Op: sock.OpPong, Payload: big(126)}, `close 1002 ""`, sock.CloseProtocolError, sock.ErrProtocol},
		{"reserved opcode", nil, sock.Frame{Op: 0xB}, `close 1002 ""`, sock.CloseProtocolError, sock.ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{}
			s := start(t, h, tt.opts)
			s.Receive(at(time.Second), tt.frame)
			wantOutput(t, s, tt.wantOut)
			if !s.Done() {
				t.Errorf("Done() = false, want true: a violation closes at once")
			}
			r := h.reason(t)
			wantReason(t, r, sock.ReasonError, tt.wantCode, "", tt.wantErr)
			wantCalls(t, h, "init", "terminate "+r.String()) // neither HandleIn nor HandleControl
			wantDead(t, s, h, at(2*time.Second))
		})
	}
}

func TestReceiveLimits(t *testing.T) {
	tests := []struct {
		name  string
		opts  *sock.Options
		frame sock.Frame
	}{
		{"text of MaxMessageSize", &sock.Options{MaxMessageSize: 8}, sock.Text("12345678")},
		{"binary of MaxMessageSize", &sock.Options{MaxMessageSize: 8}, sock.Binary(make([]byte, 8))},
		{"1 MiB by default", nil, sock.Binary(make([]byte, 1<<20))},
		{"multi-byte text", &sock.Options{MaxMessageSize: 4}, sock.Text("€a")},
		{"binary need not be UTF-8", nil, sock.Binary([]byte{0xff, 0xfe})},
		{"empty text", nil, sock.Text("")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []sock.Frame
			h := &recorder{in: func(c *sock.Conn, f sock.Frame) sock.Result {
				got = append(got, f)
				return sock.Continue()
			}}
			s := start(t, h, tt.opts)
			s.Receive(at(time.Second), tt.frame)
			if len(got) != 1 || got[0].Op != tt.frame.Op || !bytes.Equal(got[0].Payload, tt.frame.Payload) {
				t.Errorf("HandleIn got %v, want [%v]", got, tt.frame)
			}
			wantOutput(t, s)
			if s.Done() || len(h.reasons) != 0 {
				t.Errorf("session ended (%v), want it open", h.reasons)
			}
		})
	}
}

func TestHandlerPanics(t *testing.T) {
	errBoom := errors.New("boom error")
	tests := []struct {
		name      string
		setup     func(h *recorder)
		drive     func(s *sock.Session)
		wantCalls []string // before terminate
		wantOut   []string
		wantValue any
	}{
		{
			name:      "Init",
			setup:     func(h *recorder) { h.init = func(*sock.Conn) sock.Result { panic("boom") } },
			drive:     func(s *sock.Session) {},
			wantCalls: []string{"init"},
			wantOut:   []string{`close 1011 ""`},
			wantValue: "boom",
		},
		{
			name:      "HandleIn",
			setup:     func(h *recorder) { h.in = func(*sock.Conn, sock.Frame) sock.Result { panic("boom") } },
			drive:     func(s *sock.Session) { s.Receive(at(time.Second), sock.Text("x")) },
			wantCalls: []string{"init", `in text "x"`},
			wantOut:   []string{`close 1011 ""`},
			wantValue: "boom",
		},
		{
			name:      "HandleIn with an error",
			setup:     func(h *recorder) { h.in = func(*sock.Conn, sock.Frame) sock.Result { panic(errBoom) } },
			drive:     func(s *sock.Session) { s.Receive(at(time.Second), sock.Binary([]byte{1})) },
			wantCalls: []string{"init", "in binary 01"},
			wantOut:   []string{`close 1011 ""`},
			wantValue: errBoom,
		},
		{
			name: "HandleIn after a push",
			setup: func(h *recorder) {
				h.in = func(*sock.Conn, sock.Frame) sock.Result {
					if len(h.calls) == 2 {
						return sock.Push(sock.Text("first"))
					}
					panic("boom")
				}
			},
			drive: func(s *sock.Session) {
				s.Receive(at(time.Second), sock.Text("a"))
				s.Receive(at(time.Second), sock.Text("b"))
			},
			wantCalls: []string{"init", `in text "a"`, `in text "b"`},
			wantOut:   []string{`text "first"`, `close 1011 ""`},
			wantValue: "boom",
		},
		{
			name:      "HandleControl on a ping",
			setup:     func(h *recorder) { h.control = func(*sock.Conn, sock.Frame) sock.Result { panic("boom") } },
			drive:     func(s *sock.Session) { s.Receive(at(time.Second), sock.Frame{Op: sock.OpPing, Payload: []byte{1}}) },
			wantCalls: []string{"init", "control ping 01"},
			wantOut:   []string{"pong 01", `close 1011 ""`},
			wantValue: "boom",
		},
		{
			name:      "HandleControl on a pong",
			setup:     func(h *recorder) { h.control = func(*sock.Conn, sock.Frame) sock.Result { panic("boom") } },
			drive:     func(s *sock.Session) { s.Receive(at(time.Second), sock.Frame{Op: sock.OpPong}) },
			wantCalls: []string{"init", "control pong"},
			wantOut:   []string{`close 1011 ""`},
			wantValue: "boom",
		},
		{
			name:  "HandleInfo from the mailbox",
			setup: func(h *recorder) { h.info = func(*sock.Conn, any) sock.Result { panic("boom") } },
			drive: func(s *sock.Session) {
				for _, m := range []string{"a", "b"} {
					if err := s.Conn().SendInfo(m); err != nil {
						panic(err)
					}
				}
				s.DeliverInfo(at(time.Second))
			},
			wantCalls: []string{"init", "info a"}, // b is dropped
			wantOut:   []string{`close 1011 ""`},
			wantValue: "boom",
		},
		{
			name: "HandleInfo from a timer",
			setup: func(h *recorder) {
				h.init = func(c *sock.Conn) sock.Result { c.After(time.Second, "t"); return sock.Continue() }
				h.info = func(*sock.Conn, any) sock.Result { panic("boom") }
			},
			drive:     func(s *sock.Session) { s.Tick(at(time.Second)) },
			wantCalls: []string{"init", "info t"},
			wantOut:   []string{`close 1011 ""`},
			wantValue: "boom",
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
			wantCalls(t, h, append(tt.wantCalls, "terminate "+r.String())...)
			wantReason(t, r, sock.ReasonError, sock.CloseInternalError, "", nil)
			var pe *sock.PanicError
			if !errors.As(r.Err, &pe) {
				t.Fatalf("Reason.Err = %#v, want a *PanicError", r.Err)
			}
			if pe.Value != tt.wantValue {
				t.Errorf("PanicError.Value = %#v, want %#v", pe.Value, tt.wantValue)
			}
			if err, ok := tt.wantValue.(error); ok && !errors.Is(r.Err, err) {
				t.Errorf("errors.Is(Reason.Err, %v) = false, want true", err)
			}
			// The stack is the one of the panic: it shows this file's closure.
			if !bytes.Contains(pe.Stack, []byte("session_control_test.go")) {
				t.Errorf("PanicError.Stack does not show the panicking callback:\n%s", pe.Stack)
			}
			if s.Done() {
				t.Errorf("Done() = true, want false: a panic closes with the handshake")
			}
			wantInert(t, s, h, at(2*time.Second))
		})
	}
}

func TestPanicNil(t *testing.T) {
	h := &recorder{in: func(*sock.Conn, sock.Frame) sock.Result { panic(nil) }}
	s := start(t, h, nil)
	s.Receive(at(time.Second), sock.Text("x"))
	wantOutput(t, s, `close 1011 ""`)
	r := h.reason(t)
	var pe *sock.PanicError
	if !errors.As(r.Err, &pe) || pe.Value == nil {
		t.Errorf("Reason.Err = %#v, want a *PanicError with a non-nil Value (runtime.PanicNilError)", r.Err)
	}
}

// TestTerminatePanics checks that a panic in Terminate is recovered on every
// way to the end and the session still finishes.
func TestTerminatePanics(t *testing.T) {
	tests := []struct {
		name  string
		drive func(s *sock.Session)
	}{
		{"client close", func(s *sock.Session) { s.Receive(at(time.Second), sock.CloseFrame(sock.CloseNormal, "")) }},
		{"transport failure", func(s *sock.Session) { s.Fail(at(time.Second), nil) }},
		{"protocol violation", func(s *sock.Session) { s.Receive(at(time.Second), sock.Text("\xff")) }},
		{"idle timeout", func(s *sock.Session) { s.Tick(at(time.Minute)) }},
		{"Stop then CloseTimeout", func(s *sock.Session) {
			s.Receive(at(time.Second), sock.Text("stop"))
			s.Tick(at(time.Second + 5*time.Second))
		}},
		{"Shutdown then client close", func(s *sock.Session) {
			s.Shutdown(at(time.Second))
			s.Receive(at(2*time.Second), sock.CloseFrame(sock.CloseGoingAway, ""))
		}},
		{"panic in HandleIn", func(s *sock.Session) {
			s.Receive(at(time.Second), sock.Text("panic"))
			s.Receive(at(2*time.Second), sock.CloseFrame(sock.CloseNormal, ""))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{
				in: func(c *sock.Conn, f sock.Frame) sock.Result {
					switch string(f.Payload) {
					case "stop":
						return sock.Stop()
					case "panic":
						panic("in")
					}
					return sock.Continue()
				},
				term: func(*sock.Conn, sock.Reason) { panic("terminate") },
			}
			s := start(t, h, nil)
			tt.drive(s) // must not panic
			if !s.Done() {
				t.Errorf("Done() = false, want true")
			}
			if len(h.reasons) != 1 {
				t.Errorf("Terminate ran %d times, want 1", len(h.reasons))
			}
			// The panic is not lost in a log line: the Session's reason
			// becomes it, with the code that was sent.
			var pe *sock.PanicError
			if r := s.Reason(); r.Kind != sock.ReasonError || r.Code != h.reasons[0].Code || !errors.As(r.Err, &pe) || pe.Value != "terminate" {
				t.Errorf("Reason() = %v, want error %d with the *PanicError of Terminate", r, int(h.reasons[0].Code))
			}
			var out []string
			for _, f := range s.Output() {
				out = append(out, f.String())
			}
			if n := strings.Count(strings.Join(out, "\n"), "close"); n > 1 {
				t.Errorf("Output() = %q, want at most one close frame", out)
			}
			wantDead(t, s, h, at(time.Hour))
		})
	}
}
