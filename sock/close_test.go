package sock_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sockkit/sockkit/sock"
)

func TestCloseCodeString(t *testing.T) {
	tests := []struct {
		code sock.CloseCode
		want string
	}{
		{sock.CloseNormal, "1000 (normal closure)"},
		{sock.CloseGoingAway, "1001 (going away)"},
		{sock.CloseNoStatus, "1005 (no status)"},
		{sock.CloseInternalError, "1011 (internal error)"},
		{sock.CloseTLSHandshake, "1015 (TLS handshake)"},
		{1004, "1004"},
		{4000, "4000"},
		{0, "0"},
	}
	for _, tt := range tests {
		if got := tt.code.String(); got != tt.want {
			t.Errorf("CloseCode(%d).String() = %q, want %q", int(tt.code), got, tt.want)
		}
	}
}

func TestCloseError(t *testing.T) {
	tests := []struct {
		err  *sock.CloseError
		want string
	}{
		{&sock.CloseError{Code: sock.CloseNormal}, "sock: close 1000 (normal closure)"},
		{&sock.CloseError{Code: 4001, Text: "quota"}, "sock: close 4001: quota"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%#v.Error() = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestCloseStatus(t *testing.T) {
	policy := &sock.CloseError{Code: sock.ClosePolicyViolation}
	tests := []struct {
		name string
		err  error
		want sock.CloseCode
	}{
		{"nil", nil, 0},
		{"plain error", errors.New("x"), 0},
		{"CloseError", &sock.CloseError{Code: 4000}, 4000},
		{"wrapped", fmt.Errorf("a: %w", fmt.Errorf("b: %w", policy)), sock.ClosePolicyViolation},
		{"first in chain", fmt.Errorf("%w, %w", &sock.CloseError{Code: 3000}, policy), 3000},
		{"through a PanicError", &sock.PanicError{Value: policy}, sock.ClosePolicyViolation},
	}
	for _, tt := range tests {
		if got := sock.CloseStatus(tt.err); got != tt.want {
			t.Errorf("CloseStatus(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
