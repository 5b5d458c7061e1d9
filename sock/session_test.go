package sock_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sockkit/sockkit/sock"
)

// t0 is when every test session opens; at(d) is d later on the same clock.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// recorder is a handler with every optional callback. It logs each call in
// calls ("init", "in text \"hi\"", "control ping 01", "info x",
// "terminate normal 1000") and does what its func fields say, or Continue.
type recorder struct {
	calls   []string
	reasons []sock.Reason // every Reason Terminate saw

	init    func(c *sock.Conn) sock.Result
	in      func(c *sock.Conn, f sock.Frame) sock.Result
	control func(c *sock.Conn, f sock.Frame) sock.Result
	info    func(c *sock.Conn, info any) sock.Result
	term    func(c *sock.Conn, r sock.Reason)
}

var (
	_ sock.InitHandler      = (*recorder)(nil)
	_ sock.ControlHandler   = (*recorder)(nil)
	_ sock.InfoHandler      = (*recorder)(nil)
	_ sock.TerminateHandler = (*recorder)(nil)
)

func (h *recorder) Init(c *sock.Conn) sock.Result {
	h.calls = append(h.calls, "init")
	if h.init != nil {
		return h.init(c)
	}
	return sock.Continue()
}

func (h *recorder) HandleIn(c *sock.Conn, f sock.Frame) sock.Result {
	h.calls = append(h.calls, "in "+f.String())
	if h.in != nil {
		return h.in(c, f)
	}
	return sock.Continue()
}

func (h *recorder) HandleControl(c *sock.Conn, f sock.Frame) sock.Result {
	h.calls = append(h.calls, "control "+f.String())
	if h.control != nil {
		return h.control(c, f)
	}
	return sock.Continue()
}

func (h *recorder) HandleInfo(c *sock.Conn, info any) sock.Result {
	h.calls = append(h.calls, fmt.Sprint("info ", info))
	if h.info != nil {
		return h.info(c, info)
	}
	return sock.Continue()
}

func (h *recorder) Terminate(c *sock.Conn, r sock.Reason) {
	h.calls = append(h.calls, "terminate "+r.String())
	h.reasons = append(h.reasons, r)
	if h.term != nil {
		h.term(c, r)
	}
}

// reason returns the Reason Terminate saw, failing the test unless it ran
// exactly once.
func (h *recorder) reason(tb testing.TB) sock.Reason {
	tb.Helper()
	if len(h.reasons) != 1 {
		tb.Fatalf("Terminate ran %d times, want 1 (calls %q)", len(h.reasons), h.calls)
	}
	return h.reasons[0]
}

// basic is a handler with Init, HandleIn and Terminate but neither
// HandleControl nor HandleInfo; it logs into a recorder.
type basic struct{ r *recorder }

func (b basic) Init(c *sock.Conn) sock.Result                   { return b.r.Init(c) }
func (b basic) HandleIn(c *sock.Conn, f sock.Frame) sock.Result { return b.r.HandleIn(c, f) }
func (b basic) Terminate(c *sock.Conn, r sock.Reason)           { b.r.Terminate(c, r) }

// newSession makes a Session for h whose logger discards, with opts (nil for
// defaults). It does not open it.
func newSession(tb testing.TB, h sock.Handler, opts *sock.Options) *sock.Session {
	tb.Helper()
	var o sock.Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return sock.NewSession(h, sock.ConnInfo{}, &o)
}

// start makes a Session for h and opens it at t0.
func start(tb testing.TB, h sock.Handler, opts *sock.Options) *sock.Session {
	tb.Helper()
	s := newSession(tb, h, opts)
	s.Open(t0)
	return s
}

// output returns what s asks to write, each frame formatted by Frame.String.
// The strings are copies: they stay valid after s moves on.
func output(s *sock.Session) []string {
	var out []string
	for _, f := range s.Output() {
		out = append(out, f.String())
	}
	return out
}

// wantOutput fails the test unless s asks to write exactly want.
func wantOutput(tb testing.TB, s *sock.Session, want ...string) {
	tb.Helper()
	if diff := cmp.Diff(want, output(s)); diff != "" {
		tb.Errorf("Output() mismatch (-want +got):\n%s", diff)
	}
}

// wantCalls fails the test unless h saw exactly the callbacks want.
func wantCalls(tb testing.TB, h *recorder, want ...string) {
	tb.Helper()
	if diff := cmp.Diff(want, h.calls); diff != "" {
		tb.Errorf("handler calls mismatch (-want +got):\n%s", diff)
	}
}

// reasonFields is a Reason without Err, which tests check with errors.Is.
type reasonFields struct {
	Kind sock.ReasonKind
	Code sock.CloseCode
	Text string
}

// wantReason fails the test unless r has kind, code and text and, when
// wantErr is not nil, errors.Is(r.Err, wantErr).
func wantReason(tb testing.TB, r sock.Reason, kind sock.ReasonKind, code sock.CloseCode, text string, wantErr error) {
	tb.Helper()
	want := reasonFields{kind, code, text}
	if diff := cmp.Diff(want, reasonFields{r.Kind, r.Code, r.Text}); diff != "" {
		tb.Errorf("Reason mismatch (-want +got):\n%s", diff)
	}
	if wantErr != nil && !errors.Is(r.Err, wantErr) {
		tb.Errorf("Reason.Err = %v, want errors.Is(_, %v)", r.Err, wantErr)
	}
}

// wantPanic fails the test unless f panics.
func wantPanic(tb testing.TB, name string, f func()) {
	tb.Helper()
	defer func() {
		tb.Helper()
		if recover() == nil {
			tb.Errorf("%s did not panic", name)
		}
	}()
	f()
}

// wantInert feeds s every kind of event that is not a close or a failure and
// fails the test if any of them reaches the handler or produces output. It is
// for sessions that are closing or done.
func wantInert(tb testing.TB, s *sock.Session, h *recorder, now time.Time) {
	tb.Helper()
	before := len(h.calls)
	_ = s.Conn().SendInfo("late")
	s.DeliverInfo(now)
	s.Receive(now, sock.Text("late"))
	s.Receive(now, sock.Binary([]byte{1}))
	s.Receive(now, sock.Frame{Op: sock.OpPing, Payload: []byte("late")})
	s.Receive(now, sock.Frame{Op: sock.OpPong})
	s.Receive(now, sock.Text("\xff"))
	s.Receive(now, sock.Frame{Op: sock.OpPing, Payload: make([]byte, 200)})
	s.Shutdown(now)
	s.Tick(now)
	if got := h.calls[before:]; len(got) > 0 {
		tb.Errorf("callbacks after the session ended: %q", got)
	}
	if got := output(s); len(got) > 0 {
		tb.Errorf("Output() after the session ended = %q, want nothing", got)
	}
}

// wantDead checks that s is done and stays so: every event, including close
// frames, failures and a Tick far in the future, is ignored.
func wantDead(tb testing.TB, s *sock.Session, h *recorder, now time.Time) {
	tb.Helper()
	if !s.Done() {
		tb.Fatalf("Done() = false, want true")
	}
	if d := s.Deadline(); !d.IsZero() {
		tb.Errorf("Deadline() = %v once done, want the zero time", d)
	}
	r := s.Reason()
	wantInert(tb, s, h, now)
	before := len(h.calls)
	s.Receive(now, sock.CloseFrame(sock.CloseNormal, ""))
	s.Fail(now, errors.New("late failure"))
	s.Tick(now.Add(1000 * time.Hour))
	if got := h.calls[before:]; len(got) > 0 {
		tb.Errorf("callbacks after Done: %q", got)
	}
	if got := output(s); len(got) > 0 {
		tb.Errorf("Output() after Done = %q, want nothing", got)
	}
	if !s.Done() {
		tb.Errorf("Done() = false after more events, want true")
	}
	if got := s.Reason(); got.Kind != r.Kind || got.Code != r.Code || got.Err != r.Err {
		tb.Errorf("Reason() changed after Done: %v, was %v", got, r)
	}
}

func TestOpenRunsInitFirst(t *testing.T) {
	h := &recorder{init: func(c *sock.Conn) sock.Result { return sock.Push(sock.Text("hello")) }}
	s := newSession(t, h, nil)
	if len(h.calls) != 0 {
		t.Fatalf("NewSession called back %q, want nothing before Open", h.calls)
	}
	if got := output(s); len(got) != 0 {
		t.Errorf("Output() before Open = %q, want nothing", got)
	}
	s.Open(t0)
	wantCalls(t, h, "init")
	wantOutput(t, s, `text "hello"`)
	s.Receive(at(time.Second), sock.Text("a"))
	wantCalls(t, h, "init", `in text "a"`)
	if s.Done() {
		t.Errorf("Done() = true after Continue, want false")
	}
	if r := s.Reason(); r != (sock.Reason{}) {
		t.Errorf("Reason() = %v while open, want the zero Reason", r)
	}
}

func TestOpenWithoutOptionalCallbacks(t *testing.T) {
	var got []string
	h := sock.HandlerFunc(func(c *sock.Conn, f sock.Frame) sock.Result {
		got = append(got, f.String())
		return sock.Push(f)
	})
	s := start(t, h, nil)
	wantOutput(t, s)
	s.Receive(at(time.Second), sock.Text("a"))
	wantOutput(t, s, `text "a"`)
	s.Receive(at(2*time.Second), sock.Frame{Op: sock.OpPing, Payload: []byte{7}})
	wantOutput(t, s, "pong 07")
	s.Receive(at(3*time.Second), sock.CloseFrame(sock.CloseNormal, ""))
	wantOutput(t, s, `close 1000 ""`)
	if !s.Done() {
		t.Errorf("Done() = false after the client's close, want true")
	}
	if diff := cmp.Diff([]string{`text "a"`}, got); diff != "" {
		t.Errorf("HandleIn calls mismatch (-want +got):\n%s", diff)
	}
}

func TestSessionMisuse(t *testing.T) {
	wantPanic(t, "NewSession(nil)", func() { sock.NewSession(nil, sock.ConnInfo{}, nil) })

	before := map[string]func(s *sock.Session){
		"Receive":     func(s *sock.Session) { s.Receive(t0, sock.Text("x")) },
		"DeliverInfo": func(s *sock.Session) { s.DeliverInfo(t0) },
		"Tick":        func(s *sock.Session) { s.Tick(t0) },
		"Fail":        func(s *sock.Session) { s.Fail(t0, errors.New("x")) },
		"Shutdown":    func(s *sock.Session) { s.Shutdown(t0) },
	}
	for name, event := range before {
		t.Run(name+" before Open", func(t *testing.T) {
			h := &recorder{}
			s := newSession(t, h, nil)
			wantPanic(t, name+" before Open", func() { event(s) })
			if len(h.calls) != 0 {
				t.Errorf("handler calls = %q, want none", h.calls)
			}
		})
	}

	t.Run("Open twice", func(t *testing.T) {
		h := &recorder{}
		s := start(t, h, nil)
		wantPanic(t, "second Open", func() { s.Open(at(time.Second)) })
		wantCalls(t, h, "init")
	})
	t.Run("Open after Done", func(t *testing.T) {
		h := &recorder{}
		s := start(t, h, nil)
		s.Fail(at(time.Second), nil)
		wantPanic(t, "Open after Done", func() { s.Open(at(2 * time.Second)) })
	})
}

func TestResultShapes(t *testing.T) {
	errDB := errors.New("db down")
	policy := &sock.CloseError{Code: sock.ClosePolicyViolation, Text: "quota"}
	tests := []struct {
		name     string
		result   sock.Result
		wantOut  []string
		wantKind sock.ReasonKind // 0: the connection stays open
		wantCode sock.CloseCode
		wantText string
		wantErr  error
	}{
		{name: "Continue", result: sock.Continue()},
		{name: "zero Result", result: sock.Result{}},
		{name: "Push one", result: sock.Push(sock.Text("a")), wantOut: []string{`text "a"`}},
		{
			name: "Push several",
			result: sock.Push(sock.Text("a"), sock.Binary([]byte{1, 2}),
				sock.Frame{Op: sock.OpPing, Payload: []byte("p")}, sock.Frame{Op: sock.OpPong}, sock.Text("z")),
			wantOut: []string{`text "a"`, "binary 0102", "ping 70", "pong", `text "z"`},
		},
		{
			name: "Stop", result: sock.Stop(),
			wantOut:  []string{`close 1000 ""`},
			wantKind: sock.ReasonNormal, wantCode: sock.CloseNormal,
		},
		{
			name: "StopWith error", result: sock.StopWith(errDB),
			wantOut:  []string{`close 1011 ""`},
			wantKind: sock.ReasonError, wantCode: sock.CloseInternalError, wantErr: errDB,
		},
		{
			name: "StopWith CloseError", result: sock.StopWith(&sock.CloseError{Code: 4001}),
			wantOut:  []string{`close 4001 ""`},
			wantKind: sock.ReasonError, wantCode: 4001,
		},
		{
			name: "StopWith wrapped CloseError", result: sock.StopWith(fmt.Errorf("save: %w", policy)),
			wantOut:  []string{`close 1008 "quota"`},
			wantKind: sock.ReasonError, wantCode: sock.ClosePolicyViolation, wantText: "quota", wantErr: policy,
		},
		{
			name: "StopWith nil is Stop", result: sock.StopWith(nil),
			wantOut:  []string{`close 1000 ""`},
			wantKind: sock.ReasonNormal, wantCode: sock.CloseNormal,
		},
		{
			name: "Close", result: sock.Close(4000, "bye"),
			wantOut:  []string{`close 4000 "bye"`},
			wantKind: sock.ReasonNormal, wantCode: 4000, wantText: "bye",
		},
		{
			name: "Push then Close", result: sock.Push(sock.Text("a"), sock.Text("b")).Close(sock.CloseNormal, "done"),
			wantOut:  []string{`text "a"`, `text "b"`, `close 1000 "done"`},
			wantKind: sock.ReasonNormal, wantCode: sock.CloseNormal, wantText: "done",
		},
		{
			name: "Push then Stop", result: sock.Push(sock.Binary([]byte{9})).Stop(),
			wantOut:  []string{"binary 09", `close 1000 ""`},
			wantKind: sock.ReasonNormal, wantCode: sock.CloseNormal,
		},
		{
			name: "Push then StopWith", result: sock.Push(sock.Text("a")).StopWith(errDB),
			wantOut:  []string{`text "a"`, `close 1011 ""`},
			wantKind: sock.ReasonError, wantCode: sock.CloseInternalError, wantErr: errDB,
		},
		{
			name: "last stop wins", result: sock.Push(sock.Text("a")).StopWith(errDB).Close(4000, "x"),
			wantOut:  []string{`text "a"`, `close 4000 "x"`},
			wantKind: sock.ReasonNormal, wantCode: 4000, wantText: "x",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{in: func(c *sock.Conn, f sock.Frame) sock.Result { return tt.result }}
			s := start(t, h, nil)
			s.Receive(at(time.Second), sock.Text("x"))
			if diff := cmp.Diff(tt.wantOut, output(s)); diff != "" {
				t.Errorf("Output() mismatch (-want +got):\n%s", diff)
			}
			if s.Done() {
				t.Errorf("Done() = true, want false (open, or waiting for the client's close)")
			}

			if tt.wantKind == 0 {
				if len(h.reasons) != 0 {
					t.Errorf("Terminate ran with %v, want the connection open", h.reasons)
				}
				s.Receive(at(2*time.Second), sock.Text("y"))
				wantCalls(t, h, "init", `in text "x"`, `in text "y"`)
				return
			}
			r := h.reason(t)
			wantReason(t, r, tt.wantKind, tt.wantCode, tt.wantText, tt.wantErr)
			wantReason(t, s.Reason(), tt.wantKind, tt.wantCode, tt.wantText, tt.wantErr)
			wantCalls(t, h, "init", `in text "x"`, "terminate "+r.String())
			// Nothing is written after the close frame.
			wantInert(t, s, h, at(2*time.Second))
		})
	}
}

// TestResultFramesKeepTheirOrder pushes frames from several callbacks and
// checks they are written in the order pushed.
func TestResultFramesKeepTheirOrder(t *testing.T) {
	h := &recorder{
		init: func(c *sock.Conn) sock.Result { return sock.Push(sock.Text("1"), sock.Text("2")) },
		in:   func(c *sock.Conn, f sock.Frame) sock.Result { return sock.Push(f, sock.Text("3")) },
	}
	s := start(t, h, nil)
	s.Receive(at(time.Second), sock.Text("a"))
	s.Receive(at(time.Second), sock.Binary([]byte("b")))
	wantOutput(t, s, `text "1"`, `text "2"`, `text "a"`, `text "3"`, "binary 62", `text "3"`)
	wantOutput(t, s) // Output drains
}

func TestMessagesReachHandleInWholeAndInOrder(t *testing.T) {
	var got []sock.Frame
	h := sock.HandlerFunc(func(c *sock.Conn, f sock.Frame) sock.Result {
		got = append(got, f)
		return sock.Continue()
	})
	want := []sock.Frame{
		sock.Text("héllo, wörld"),
		sock.Binary([]byte{0, 0xff, 0xfe, 1}), // binary need not be UTF-8
		sock.Text(""),
		sock.Binary(nil),
		sock.Text(strings.Repeat("z", 1000)),
	}
	s := start(t, h, nil)
	for i, f := range want {
		s.Receive(at(time.Duration(i)*time.Second), f)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HandleIn frames mismatch (-want +got):\n%s", diff)
	}
	wantOutput(t, s)
}

func TestConn(t *testing.T) {
	req := httptest.NewRequest("GET", "/ws?room=1", nil)
	h := &recorder{}
	var seen *sock.Conn
	h.init = func(c *sock.Conn) sock.Result { seen = c; return sock.Continue() }
	s := sock.NewSession(h, sock.ConnInfo{ID: 42, Request: req, Subprotocol: "chat.v1"}, nil)
	s.Open(t0)
	c := s.Conn()
	if seen != c {
		t.Errorf("Init got Conn %p, Session.Conn() = %p, want the same", seen, c)
	}
	if got := c.ID(); got != 42 {
		t.Errorf("Conn.ID() = %d, want 42", got)
	}
	if got := c.Request(); got != req {
		t.Errorf("Conn.Request() = %v, want the upgrade request", got)
	}
	if got := c.Subprotocol(); got != "chat.v1" {
		t.Errorf("Conn.Subprotocol() = %q, want %q", got, "chat.v1")
	}
	if c.Logger() == nil {
		t.Errorf("Conn.Logger() = nil, want a logger")
	}

	a := newSession(t, &recorder{}, nil).Conn()
	b := newSession(t, &recorder{}, nil).Conn()
	if a.ID() == 0 || b.ID() == 0 || a.ID() == b.ID() {
		t.Errorf("IDs of sessions with ConnInfo.ID 0 = %d, %d, want distinct and non-zero", a.ID(), b.ID())
	}
	if a.Request() != nil || a.Subprotocol() != "" {
		t.Errorf("Conn without request = (%v, %q), want (nil, \"\")", a.Request(), a.Subprotocol())
	}
}

func TestOptionsDefaults(t *testing.T) {
	tests := []struct {
		name string
		opts *sock.Options
		want sock.Options // Logger is not compared
	}{
		{
			name: "nil",
			want: sock.Options{MaxMessageSize: 1 << 20, IdleTimeout: 60 * time.Second,
				WriteTimeout: 10 * time.Second, CloseTimeout: 5 * time.Second, InfoQueueSize: 256},
		},
		{
			name: "zero",
			opts: &sock.Options{},
			want: sock.Options{MaxMessageSize: 1 << 20, IdleTimeout: 60 * time.Second,
				WriteTimeout: 10 * time.Second, CloseTimeout: 5 * time.Second, InfoQueueSize: 256},
		},
		{
			name: "PongTimeout defaults to PingInterval",
			opts: &sock.Options{PingInterval: 15 * time.Second, IdleTimeout: -1},
			want: sock.Options{MaxMessageSize: 1 << 20, IdleTimeout: -1, PingInterval: 15 * time.Second,
				PongTimeout: 15 * time.Second, WriteTimeout: 10 * time.Second, CloseTimeout: 5 * time.Second, InfoQueueSize: 256},
		},
		{
			name: "set fields are kept",
			opts: &sock.Options{MaxMessageSize: 10, IdleTimeout: time.Second, PingInterval: 2 * time.Second,
				PongTimeout: 3 * time.Second, WriteTimeout: 4 * time.Second, CloseTimeout: 5 * time.Second, InfoQueueSize: 6},
			want: sock.Options{MaxMessageSize: 10, IdleTimeout: time.Second, PingInterval: 2 * time.Second,
				PongTimeout: 3 * time.Second, WriteTimeout: 4 * time.Second, CloseTimeout: 5 * time.Second, InfoQueueSize: 6},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sock.NewSession(&recorder{}, sock.ConnInfo{}, tt.opts).Options()
			if got.Logger == nil {
				t.Errorf("Options().Logger = nil, want a default")
			}
			got.Logger = nil
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Options() mismatch (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("copied", func(t *testing.T) {
		opts := &sock.Options{IdleTimeout: time.Second, Logger: slog.New(slog.DiscardHandler)}
		s := sock.NewSession(&recorder{}, sock.ConnInfo{}, opts)
		opts.IdleTimeout = time.Hour
		s.Open(t0)
		if got := s.Deadline(); !got.Equal(at(time.Second)) {
			t.Errorf("Deadline() = %v after changing the Options, want %v", got, at(time.Second))
		}
	})
}

// ending is a way for a started session (whose handler stops on "stop") to
// end at one second.
type ending struct {
	name  string
	drive func(s *sock.Session)
}

// endings returns the ways a session ends by the server, the client, a
// shutdown and a transport failure.
func endings() []ending {
	return []ending{
		{"server close", func(s *sock.Session) { s.Receive(at(time.Second), sock.Text("stop")) }},
		{"client close", func(s *sock.Session) { s.Receive(at(time.Second), sock.CloseFrame(sock.CloseNormal, "")) }},
		{"shutdown", func(s *sock.Session) { s.Shutdown(at(time.Second)) }},
		{"failure", func(s *sock.Session) { s.Fail(at(time.Second), nil) }},
	}
}
