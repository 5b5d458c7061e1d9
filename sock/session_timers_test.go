package sock_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sockkit/sockkit/sock"
)

// noIdle turns the idle timeout off so that only the timers under test are due.
var noIdle = &sock.Options{IdleTimeout: -1}

// wantDeadline fails the test unless s.Deadline() is want.
func wantDeadline(tb testing.TB, s *sock.Session, want time.Time) {
	tb.Helper()
	if got := s.Deadline(); !got.Equal(want) {
		tb.Errorf("Deadline() = %v, want %v", got, want)
	}
}

func TestAfterFiresWhenDue(t *testing.T) {
	h := &recorder{init: func(c *sock.Conn) sock.Result {
		c.After(5*time.Second, "a")
		return sock.Continue()
	}}
	s := start(t, h, noIdle)
	wantDeadline(t, s, at(5*time.Second))
	s.Tick(at(5*time.Second - time.Nanosecond))
	wantCalls(t, h, "init")
	s.Tick(at(5 * time.Second))
	wantCalls(t, h, "init", "info a")
	wantDeadline(t, s, time.Time{})
	s.Tick(at(time.Hour))
	wantCalls(t, h, "init", "info a") // once only
	wantOutput(t, s)
}

func TestAfterUsesTheEventTime(t *testing.T) {
	h := &recorder{
		in: func(c *sock.Conn, f sock.Frame) sock.Result {
			c.After(3*time.Second, string(f.Payload))
			return sock.Continue()
		},
		info: func(c *sock.Conn, info any) sock.Result { return sock.Push(sock.Text("fired " + info.(string))) },
	}
	s := start(t, h, noIdle)
	s.Receive(at(10*time.Second), sock.Text("x"))
	wantDeadline(t, s, at(13*time.Second))
	s.Tick(at(12 * time.Second))
	wantOutput(t, s)
	s.Tick(at(13 * time.Second))
	wantOutput(t, s, `text "fired x"`)
}

func TestAfterZeroFiresAtTheNextTick(t *testing.T) {
	h := &recorder{in: func(c *sock.Conn, f sock.Frame) sock.Result {
		c.After(0, "now")
		c.After(-time.Second, "past")
		return sock.Continue()
	}}
	s := start(t, h, noIdle)
	s.Receive(at(time.Second), sock.Text("x"))
	wantDeadline(t, s, at(0)) // the earliest: already past
	s.Tick(at(time.Second))
	wantCalls(t, h, "init", `in text "x"`, "info past", "info now")
}

func TestTimerSetDuringTickWaitsForTheNextTick(t *testing.T) {
	h := &recorder{
		init: func(c *sock.Conn) sock.Result {
			c.After(0, "again")
			return sock.Continue()
		},
		info: func(c *sock.Conn, info any) sock.Result {
			c.After(0, info) // a handler that re-arms at once must not hang Tick
			return sock.Continue()
		},
	}
	s := start(t, h, noIdle)
	s.Tick(at(0))
	wantCalls(t, h, "init", "info again")
	s.Tick(at(0))
	wantCalls(t, h, "init", "info again", "info again")
}

func TestTimerOrder(t *testing.T) {
	tests := []struct {
		name  string
		set   []time.Duration // After(d, i) for each index i, in Init
		ticks []time.Duration
		want  []string
	}{
		{
			name:  "same time in the order set",
			set:   []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second},
			ticks: []time.Duration{5 * time.Second},
			want:  []string{"init", "info 0", "info 1", "info 2", "info 3"},
		},
		{
			name:  "by due time, then order set",
			set:   []time.Duration{5 * time.Second, 5 * time.Second, 3 * time.Second, 5 * time.Second, 7 * time.Second, 3 * time.Second},
			ticks: []time.Duration{6 * time.Second, 7 * time.Second},
			want:  []string{"init", "info 2", "info 5", "info 0", "info 1", "info 3", "info 4"},
		},
		{
			name:  "one Tick fires every due timer",
			set:   []time.Duration{3 * time.Second, 2 * time.Second, 1 * time.Second},
			ticks: []time.Duration{time.Hour},
			want:  []string{"init", "info 2", "info 1", "info 0"},
		},
		{
			name:  "spread over ticks",
			set:   []time.Duration{3 * time.Second, 2 * time.Second, 1 * time.Second},
			ticks: []time.Duration{time.Second, 2*time.Second - 1, 2 * time.Second, 3 * time.Second},
			want:  []string{"init", "info 2", "info 1", "info 0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{init: func(c *sock.Conn) sock.Result {
				for i, d := range tt.set {
					c.After(d, i)
				}
				return sock.Continue()
			}}
			s := start(t, h, noIdle)
			for _, d := range tt.ticks {
				s.Tick(at(d))
			}
			wantCalls(t, h, tt.want...)
		})
	}

	t.Run("set at different times, due at once", func(t *testing.T) {
		h := &recorder{
			init: func(c *sock.Conn) sock.Result { c.After(5*time.Second, "first"); return sock.Continue() },
			in:   func(c *sock.Conn, f sock.Frame) sock.Result { c.After(3*time.Second, "second"); return sock.Continue() },
		}
		s := start(t, h, noIdle)
		s.Receive(at(2*time.Second), sock.Text("x"))
		s.Tick(at(5 * time.Second))
		wantCalls(t, h, "init", `in text "x"`, "info first", "info second")
	})
}

func TestTimerStop(t *testing.T) {
	t.Run("before firing", func(t *testing.T) {
		var a, b *sock.Timer
		h := &recorder{init: func(c *sock.Conn) sock.Result {
			a = c.After(5*time.Second, "a")
			b = c.After(5*time.Second, "b")
			return sock.Continue()
		}}
		h.in = func(c *sock.Conn, f sock.Frame) sock.Result {
			if got := a.Stop(); !got {
				t.Errorf("Stop() of a pending timer = false, want true")
			}
			if got := a.Stop(); got {
				t.Errorf("second Stop() = true, want false")
			}
			return sock.Continue()
		}
		s := start(t, h, noIdle)
		s.Receive(at(time.Second), sock.Text("stop a"))
		s.Tick(at(time.Hour))
		wantCalls(t, h, "init", `in text "stop a"`, "info b")
		if got := b.Stop(); got {
			t.Errorf("Stop() of a fired timer = true, want false")
		}
	})

	t.Run("the last pending timer", func(t *testing.T) {
		var a *sock.Timer
		h := &recorder{init: func(c *sock.Conn) sock.Result {
			a = c.After(5*time.Second, "a")
			return sock.Continue()
		}}
		h.in = func(c *sock.Conn, f sock.Frame) sock.Result {
			if !a.Stop() {
				t.Errorf("Stop() = false, want true")
			}
			return sock.Continue()
		}
		s := start(t, h, noIdle)
		s.Receive(at(time.Second), sock.Text("x"))
		wantDeadline(t, s, time.Time{})
		s.Tick(at(time.Hour))
		wantCalls(t, h, "init", `in text "x"`)
	})

	t.Run("after firing, from its own HandleInfo", func(t *testing.T) {
		var a *sock.Timer
		h := &recorder{init: func(c *sock.Conn) sock.Result {
			a = c.After(time.Second, "a")
			return sock.Continue()
		}}
		h.info = func(c *sock.Conn, info any) sock.Result {
			if a.Stop() {
				t.Errorf("Stop() of the timer being delivered = true, want false")
			}
			return sock.Continue()
		}
		s := start(t, h, noIdle)
		s.Tick(at(time.Second))
		wantCalls(t, h, "init", "info a")
	})

	t.Run("one due timer stops another due at the same Tick", func(t *testing.T) {
		var b *sock.Timer
		h := &recorder{init: func(c *sock.Conn) sock.Result {
			c.After(time.Second, "a")
			b = c.After(2*time.Second, "b")
			c.After(3*time.Second, "c")
			return sock.Continue()
		}}
		h.info = func(c *sock.Conn, info any) sock.Result {
			if info == "a" && !b.Stop() {
				t.Errorf("Stop() of a due but undelivered timer = false, want true")
			}
			return sock.Continue()
		}
		s := start(t, h, noIdle)
		s.Tick(at(time.Hour))
		wantCalls(t, h, "init", "info a", "info c")
	})

	// Stopping timers in the middle of the heap must keep the rest in order.
	for _, stop := range [][]int{{0}, {3}, {9}, {1, 4, 7}, {9, 8, 0}, {2, 3, 4, 5, 6}} {
		t.Run(fmt.Sprint("stop ", stop), func(t *testing.T) {
			timers := make([]*sock.Timer, 10)
			// due times not in the order set: 7 3 9 1 5 2 8 0 6 4 seconds
			due := []int{7, 3, 9, 1, 5, 2, 8, 0, 6, 4}
			h := &recorder{init: func(c *sock.Conn) sock.Result {
				for i, d := range due {
					timers[i] = c.After(time.Duration(d+1)*time.Second, d)
				}
				for _, i := range stop {
					if !timers[i].Stop() {
						t.Errorf("Stop() of timer %d = false, want true", i)
					}
				}
				return sock.Continue()
			}}
			s := start(t, h, noIdle)
			s.Tick(at(time.Hour))
			stopped := map[int]bool{}
			for _, i := range stop {
				stopped[due[i]] = true
			}
			want := []string{"init"}
			for d := range 10 {
				if !stopped[d] {
					want = append(want, fmt.Sprint("info ", d))
				}
			}
			wantCalls(t, h, want...)
		})
	}
}

func TestTimersDroppedAfterTerminate(t *testing.T) {
	for _, tt := range endings() {
		t.Run(tt.name, func(t *testing.T) {
			var timer *sock.Timer
			h := &recorder{
				init: func(c *sock.Conn) sock.Result {
					c.After(2*time.Second, "a")
					timer = c.After(3*time.Second, "b")
					return sock.Continue()
				},
				in: func(*sock.Conn, sock.Frame) sock.Result { return sock.Stop() },
			}
			s := start(t, h, &sock.Options{IdleTimeout: -1, CloseTimeout: time.Minute})
			tt.drive(s)
			_ = s.Output()
			if d := s.Deadline(); !d.IsZero() && d.Before(at(time.Minute)) {
				t.Errorf("Deadline() = %v after Terminate, want no timer deadline", d)
			}
			for _, d := range []time.Duration{2 * time.Second, 3 * time.Second, time.Hour} {
				s.Tick(at(d))
			}
			if n := len(h.calls); n == 0 || !strings.HasPrefix(h.calls[n-1], "terminate ") {
				t.Errorf("calls = %q, want terminate last and no info", h.calls)
			}
			if timer.Stop() {
				t.Errorf("Stop() of a dropped timer = true, want false")
			}
		})
	}
}

func TestTimerWithoutHandleInfo(t *testing.T) {
	h := &recorder{init: func(c *sock.Conn) sock.Result {
		c.After(time.Second, "dropped")
		return sock.Continue()
	}}
	s := start(t, basic{h}, noIdle)
	s.Tick(at(time.Second))
	wantCalls(t, h, "init")
	wantOutput(t, s)
	if s.Done() || len(h.reasons) != 0 {
		t.Errorf("session ended (%v), want it open", h.reasons)
	}
	s.Receive(at(2*time.Second), sock.Text("still here"))
	wantCalls(t, h, "init", `in text "still here"`)
}

func TestIdleTimeout(t *testing.T) {
	tests := []struct {
		name string
		opts *sock.Options
		want time.Duration
	}{
		{"default 60s", nil, 60 * time.Second},
		{"5s", &sock.Options{IdleTimeout: 5 * time.Second}, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{}
			s := start(t, h, tt.opts)
			wantDeadline(t, s, at(tt.want))
			s.Tick(at(tt.want - time.Nanosecond))
			wantOutput(t, s)
			if s.Done() {
				t.Fatalf("Done() = true before the idle timeout, want false")
			}
			s.Tick(at(tt.want))
			wantOutput(t, s, `close 1001 "idle timeout"`)
			if !s.Done() {
				t.Errorf("Done() = false at the idle timeout, want true")
			}
			r := h.reason(t)
			wantReason(t, r, sock.ReasonTimeout, sock.CloseGoingAway, "idle timeout", nil)
			if r.Err != nil {
				t.Errorf("Reason.Err = %v, want nil", r.Err)
			}
			wantCalls(t, h, "init", "terminate "+r.String())
			wantDead(t, s, h, at(tt.want+time.Second))
		})
	}
}

func TestIdleTimeoutResetByAnyFrame(t *testing.T) {
	tests := []struct {
		name  string
		frame sock.Frame
		out   []string
	}{
		{"text", sock.Text("x"), nil},
		{"binary", sock.Binary([]byte{1}), nil},
		{"ping", sock.Frame{Op: sock.OpPing, Payload: []byte{1}}, []string{"pong 01"}},
		{"pong", sock.Frame{Op: sock.OpPong}, nil},
		// A transport emits a continuation frame when part of a message
		// arrives: a slow upload is activity long before it is whole.
		{"part of a message", sock.Frame{Op: sock.OpContinuation}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{}
			s := start(t, h, nil)
			s.Receive(at(30*time.Second), tt.frame)
			wantOutput(t, s, tt.out...)
			wantDeadline(t, s, at(90*time.Second))
			s.Tick(at(60 * time.Second))
			if s.Done() || len(h.reasons) != 0 {
				t.Fatalf("session ended at 60s (%v) after a %s at 30s, want it open until 90s", h.reasons, tt.name)
			}
			s.Tick(at(90 * time.Second))
			wantReason(t, h.reason(t), sock.ReasonTimeout, sock.CloseGoingAway, "idle timeout", nil)
		})
	}

	t.Run("sending does not count", func(t *testing.T) {
		h := &recorder{
			init: func(c *sock.Conn) sock.Result { c.After(30*time.Second, "tick"); return sock.Continue() },
			info: func(*sock.Conn, any) sock.Result { return sock.Push(sock.Text("news")) },
		}
		s := start(t, h, nil)
		s.Tick(at(30 * time.Second))
		wantOutput(t, s, `text "news"`)
		wantDeadline(t, s, at(60*time.Second))
		s.Tick(at(60 * time.Second))
		wantReason(t, h.reason(t), sock.ReasonTimeout, sock.CloseGoingAway, "idle timeout", nil)
	})
}

func TestIdleTimeoutDisabled(t *testing.T) {
	h := &recorder{}
	s := start(t, h, noIdle)
	wantDeadline(t, s, time.Time{})
	s.Tick(at(1000 * time.Hour))
	wantOutput(t, s)
	if s.Done() || len(h.reasons) != 0 {
		t.Errorf("session ended (%v) with IdleTimeout -1, want it open", h.reasons)
	}
}

func TestKeepalive(t *testing.T) {
	t.Run("ping every PingInterval while pongs come", func(t *testing.T) {
		h := &recorder{}
		s := start(t, h, &sock.Options{IdleTimeout: -1, PingInterval: 10 * time.Second})
		wantDeadline(t, s, at(10*time.Second))
		s.Tick(at(10*time.Second - time.Nanosecond))
		wantOutput(t, s)
		for i := 1; i <= 3; i++ {
			ping := at(time.Duration(i) * 10 * time.Second)
			s.Tick(ping)
			wantOutput(t, s, "ping")
			wantDeadline(t, s, ping.Add(10*time.Second)) // pong due and next ping
			s.Receive(ping.Add(time.Second), sock.Frame{Op: sock.OpPong})
			wantDeadline(t, s, ping.Add(10*time.Second))
		}
		wantCalls(t, h, "init", "control pong", "control pong", "control pong")
		if len(h.reasons) != 0 {
			t.Errorf("Terminate ran with %v, want the connection open", h.reasons)
		}
	})

	t.Run("PongTimeout defaults to PingInterval", func(t *testing.T) {
		h := &recorder{}
		s := start(t, h, &sock.Options{IdleTimeout: -1, PingInterval: 10 * time.Second})
		s.Tick(at(10 * time.Second))
		wantOutput(t, s, "ping")
		s.Tick(at(20*time.Second - time.Nanosecond))
		wantOutput(t, s)
		s.Tick(at(20 * time.Second))
		wantOutput(t, s, `close 1001 "pong timeout"`)
		if !s.Done() {
			t.Errorf("Done() = false at the pong timeout, want true")
		}
		r := h.reason(t)
		wantReason(t, r, sock.ReasonTimeout, sock.CloseGoingAway, "pong timeout", nil)
		wantCalls(t, h, "init", "terminate "+r.String())
		wantDead(t, s, h, at(time.Minute))
	})

	t.Run("PongTimeout", func(t *testing.T) {
		h := &recorder{}
		s := start(t, h, &sock.Options{IdleTimeout: -1, PingInterval: 10 * time.Second, PongTimeout: 3 * time.Second})
		s.Tick(at(10 * time.Second))
		wantOutput(t, s, "ping")
		wantDeadline(t, s, at(13*time.Second))
		s.Tick(at(13*time.Second - time.Nanosecond))
		wantOutput(t, s)
		s.Tick(at(13 * time.Second))
		wantOutput(t, s, `close 1001 "pong timeout"`)
		wantReason(t, h.reason(t), sock.ReasonTimeout, sock.CloseGoingAway, "pong timeout", nil)
	})

	t.Run("a pong clears the pong deadline", func(t *testing.T) {
		h := &recorder{}
		s := start(t, h, &sock.Options{IdleTimeout: -1, PingInterval: 10 * time.Second, PongTimeout: 3 * time.Second})
		s.Tick(at(10 * time.Second))
		wantOutput(t, s, "ping")
		s.Receive(at(12*time.Second), sock.Frame{Op: sock.OpPong})
		wantDeadline(t, s, at(20*time.Second))
		s.Tick(at(13 * time.Second))
		wantOutput(t, s)
		if len(h.reasons) != 0 {
			t.Errorf("Terminate ran with %v after a pong, want the connection open", h.reasons)
		}
	})

	t.Run("later pings do not move the pong deadline", func(t *testing.T) {
		h := &recorder{}
		s := start(t, h, &sock.Options{IdleTimeout: -1, PingInterval: 10 * time.Second, PongTimeout: 25 * time.Second})
		for _, sec := range []time.Duration{10, 20, 30} {
			s.Tick(at(sec * time.Second))
			wantOutput(t, s, "ping")
		}
		wantDeadline(t, s, at(35*time.Second))
		s.Tick(at(35 * time.Second))
		wantOutput(t, s, `close 1001 "pong timeout"`)
		wantReason(t, h.reason(t), sock.ReasonTimeout, sock.CloseGoingAway, "pong timeout", nil)
	})

	t.Run("without PingInterval no ping is sent", func(t *testing.T) {
		h := &recorder{}
		s := start(t, h, &sock.Options{IdleTimeout: -1, PongTimeout: time.Second})
		wantDeadline(t, s, time.Time{})
		s.Tick(at(time.Hour))
		wantOutput(t, s)
	})
}

func TestDeadlineIsTheEarliest(t *testing.T) {
	tests := []struct {
		name  string
		opts  *sock.Options
		after time.Duration // a timer set in Init, if not zero
		ticks []time.Duration
		want  time.Duration // -1 for the zero time
	}{
		{name: "idle", want: 60 * time.Second},
		{name: "nothing pending", opts: noIdle, want: -1},
		{name: "timer before idle", after: 3 * time.Second, want: 3 * time.Second},
		{name: "idle before timer", after: 90 * time.Second, want: 60 * time.Second},
		{name: "ping before idle", opts: &sock.Options{PingInterval: 10 * time.Second}, want: 10 * time.Second},
		{name: "idle before ping", opts: &sock.Options{IdleTimeout: 5 * time.Second, PingInterval: 10 * time.Second}, want: 5 * time.Second},
		{name: "timer before ping", opts: &sock.Options{PingInterval: 10 * time.Second}, after: 7 * time.Second, want: 7 * time.Second},
		{
			name:  "pong before next ping and idle",
			opts:  &sock.Options{PingInterval: 10 * time.Second, PongTimeout: 3 * time.Second},
			ticks: []time.Duration{10 * time.Second},
			want:  13 * time.Second,
		},
		{
			name:  "idle before pong",
			opts:  &sock.Options{IdleTimeout: 12 * time.Second, PingInterval: 10 * time.Second, PongTimeout: 5 * time.Second},
			ticks: []time.Duration{10 * time.Second},
			want:  12 * time.Second,
		},
		{
			name:  "timer before pong",
			opts:  &sock.Options{IdleTimeout: -1, PingInterval: 10 * time.Second, PongTimeout: 5 * time.Second},
			after: 11 * time.Second,
			ticks: []time.Duration{10 * time.Second},
			want:  11 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{init: func(c *sock.Conn) sock.Result {
				if tt.after != 0 {
					c.After(tt.after, "t")
				}
				return sock.Continue()
			}}
			s := start(t, h, tt.opts)
			for _, d := range tt.ticks {
				s.Tick(at(d))
			}
			want := at(tt.want)
			if tt.want < 0 {
				want = time.Time{}
			}
			wantDeadline(t, s, want)
			if len(h.reasons) != 0 {
				t.Errorf("Terminate ran with %v, want the connection open", h.reasons)
			}
		})
	}
}
