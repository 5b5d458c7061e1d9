package sock_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sockkit/sockkit/sock"
)

// TestLogging checks what a session logs: handler bugs at error level, dropped
// info at debug level, one record of each connection's end at info level
// (what a peer did wrong apart, at debug level), each with the connection's
// ID as "conn".
func TestLogging(t *testing.T) {
	tests := []struct {
		name    string
		handler func(h *recorder) sock.Handler
		drive   func(s *sock.Session)
		want    []string // substrings of the log
	}{
		{
			name: "panic",
			handler: func(h *recorder) sock.Handler {
				h.in = func(*sock.Conn, sock.Frame) sock.Result { panic("boom") }
				return h
			},
			drive: func(s *sock.Session) { s.Receive(at(time.Second), sock.Text("x")) },
			want:  []string{`level=ERROR msg="sock: handler panicked" conn=42 panic=boom`, "stack="},
		},
		{
			name: "bad result",
			handler: func(h *recorder) sock.Handler {
				h.in = func(*sock.Conn, sock.Frame) sock.Result { return sock.Close(999, "") }
				return h
			},
			drive: func(s *sock.Session) { s.Receive(at(time.Second), sock.Text("x")) },
			want:  []string{`level=ERROR msg="sock: handler bug" conn=42`, "close code 999"},
		},
		{
			name: "Terminate panics",
			handler: func(h *recorder) sock.Handler {
				h.term = func(*sock.Conn, sock.Reason) { panic("late") }
				return h
			},
			drive: func(s *sock.Session) { s.Fail(at(time.Second), nil) },
			want:  []string{`level=ERROR msg="sock: Terminate panicked" conn=42 panic=late`},
		},
		{
			name:    "info dropped",
			handler: func(h *recorder) sock.Handler { return basic{h} },
			drive: func(s *sock.Session) {
				_ = s.Conn().SendInfo("lost")
				s.DeliverInfo(at(time.Second))
			},
			want: []string{`level=DEBUG msg="sock: info dropped: handler has no HandleInfo" conn=42 info=lost`},
		},
		{
			name:    "end",
			handler: func(h *recorder) sock.Handler { return h },
			drive: func(s *sock.Session) {
				s.Receive(at(1500*time.Millisecond), sock.CloseFrame(sock.CloseNormal, "bye"))
			},
			want: []string{`level=INFO msg="sock: connection ended" conn=42 reason=remote code=1000 duration=1.5s text=bye`},
		},
		{
			name:    "end by a handler error",
			handler: func(h *recorder) sock.Handler { return h },
			drive: func(s *sock.Session) {
				s.Fail(at(time.Second), sock.ErrWriteTimeout)
			},
			want: []string{`level=INFO msg="sock: connection ended" conn=42 reason=error code=1006 duration=1s err="sock: write timeout"`},
		},
		{
			name:    "end by a peer's fault",
			handler: func(h *recorder) sock.Handler { return h },
			drive:   func(s *sock.Session) { s.Receive(at(time.Second), sock.Text(string([]byte{0xff}))) },
			want: []string{
				`level=DEBUG msg="sock: the peer broke the protocol" conn=42 err="sock: text message is not valid UTF-8"`,
				`level=INFO msg="sock: connection ended" conn=42 reason=error code=1007 duration=1s` + "\n",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
				Level: slog.LevelDebug,
				ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
					if a.Key == slog.TimeKey && len(groups) == 0 {
						return slog.Attr{}
					}
					return a
				},
			}))
			s := sock.NewSession(tt.handler(&recorder{}), sock.ConnInfo{ID: 42}, &sock.Options{Logger: logger})
			s.Open(t0)
			tt.drive(s)
			for _, want := range tt.want {
				if !strings.Contains(buf.String(), want) {
					t.Errorf("log does not contain %q:\n%s", want, buf.String())
				}
			}
		})
	}
}
