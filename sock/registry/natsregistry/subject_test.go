package natsregistry

import (
	"regexp"
	"strings"
	"testing"
)

// Every name or group is a single token of a subject and a valid key,
// short enough for any server, and different names give different tokens.
func FuzzToken(f *testing.F) {
	for _, s := range []string{"", "ada", "room:1", "a.b", "*", ">", "=41", "é", "a b\x00", strings.Repeat("!", 1500)} {
		f.Add(s, s+"x")
	}
	valid := regexp.MustCompile(`^[-_=a-zA-Z0-9]{1,130}$`)
	f.Fuzz(func(t *testing.T, a, b string) {
		ta, tb := token(a), token(b)
		if !valid.MatchString(ta) {
			t.Fatalf("token(%q) = %q: not a short token", a, ta)
		}
		if a != b && ta == tb {
			t.Fatalf("token(%q) = token(%q) = %q", a, b, ta)
		}
	})
}

func TestTokenIsReadable(t *testing.T) {
	for s, want := range map[string]string{"room:lobby": "room=3Alobby", "ada": "ada", "": "=", "=": "=3D"} {
		if got := token(s); got != want {
			t.Errorf("token(%q) = %q, want %q", s, got, want)
		}
	}
	if got := token(strings.Repeat("!", 50)); !strings.HasPrefix(got, "==") || len(got) != 66 {
		t.Errorf("a long token: %q, want == and a hash", got)
	}
}
