package lent_test

import (
	"strings"
	"testing"

	"github.com/sockkit/sockkit/internal/lent"
)

func TestHint(t *testing.T) {
	for _, tc := range []struct {
		b    string
		hint bool
	}{
		{"paylo", true}, {"load used after its", true}, {"load used af", false}, {"returned payload", true},
		{"load", false}, {"after", false}, {"callback", false}, {"returned", false},
		{"after paylo", true}, {`{"payload used after its callb": 1}`, true},
		{"pay", false}, {"hello", false}, {"payload used before", false}, {"", false},
		{`{"payload": 1}`, false}, {"payloads", false}, {"my payl", true},
	} {
		if got := lent.Hint([]byte(tc.b)) != ""; got != tc.hint {
			t.Errorf("Hint(%q) given: %v, want %v", tc.b, got, tc.hint)
		}
	}
}

func TestPoison(t *testing.T) {
	for _, n := range []int{0, 1, 40, 41, 42, 1000} {
		b := make([]byte, n)
		lent.Poison(b)
		want := strings.Repeat("payload used after its callback returned ", n/41+1)[:n]
		if string(b) != want {
			t.Errorf("Poison of %d bytes: %q, want %q", n, b, want)
		}
	}
}
