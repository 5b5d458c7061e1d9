package sock_test

import (
	"errors"
	"testing"

	"github.com/sockkit/sockkit/sock"
)

func TestReasonString(t *testing.T) {
	tests := []struct {
		r    sock.Reason
		want string
	}{
		{sock.Reason{Kind: sock.ReasonNormal, Code: sock.CloseNormal}, "normal 1000"},
		{sock.Reason{Kind: sock.ReasonRemote, Code: sock.CloseNormal, Text: "bye",
			Err: &sock.CloseError{Code: sock.CloseNormal, Text: "bye"}}, `remote 1000 "bye"`},
		{sock.Reason{Kind: sock.ReasonShutdown, Code: sock.CloseGoingAway, Text: "server shutdown"}, `shutdown 1001 "server shutdown"`},
		{sock.Reason{Kind: sock.ReasonTimeout, Code: sock.CloseGoingAway, Text: "idle timeout"}, `timeout 1001 "idle timeout"`},
		{sock.Reason{Kind: sock.ReasonError, Code: sock.CloseInternalError, Err: &sock.PanicError{Value: "boom"}},
			"error 1011: sock: handler panic: boom"},
		{sock.Reason{}, "reason(0) 0"},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("Reason.String() = %q, want %q", got, tt.want)
		}
	}
}

func TestPanicError(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		value      any
		wantString string
		wantUnwrap error
	}{
		{"boom", "sock: handler panic: boom", nil},
		{errBoom, "sock: handler panic: boom", errBoom},
		{42, "sock: handler panic: 42", nil},
	}
	for _, tt := range tests {
		p := &sock.PanicError{Value: tt.value}
		if got := p.Error(); got != tt.wantString {
			t.Errorf("PanicError{%#v}.Error() = %q, want %q", tt.value, got, tt.wantString)
		}
		if got := p.Unwrap(); got != tt.wantUnwrap {
			t.Errorf("PanicError{%#v}.Unwrap() = %v, want %v", tt.value, got, tt.wantUnwrap)
		}
	}
}
