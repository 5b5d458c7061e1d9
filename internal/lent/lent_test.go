package lent_test

import (
	"strings"
	"testing"

	"github.com/sockkit/sockkit/internal/lent"
)

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
