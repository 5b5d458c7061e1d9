package natsregistry

import (
	"regexp"
	"testing"
)

// Every name or group is a single token of a subject and a valid key, and
// comes back as it was.
func FuzzToken(f *testing.F) {
	for _, s := range []string{"", "ada", "room:1", "a.b", "*", ">", "=41", "é", "a b\x00"} {
		f.Add(s)
	}
	valid := regexp.MustCompile(`^[-_=a-zA-Z0-9]+$`)
	f.Fuzz(func(t *testing.T, s string) {
		tok := token(s)
		if !valid.MatchString(tok) {
			t.Fatalf("token(%q) = %q: not a token", s, tok)
		}
		back, err := untoken(tok)
		if err != nil || back != s {
			t.Fatalf("untoken(token(%q)) = %q, %v", s, back, err)
		}
	})
}

func TestUntokenRefusesCutEscapes(t *testing.T) {
	for _, tok := range []string{"a=", "a=4", "=zz"} {
		if _, err := untoken(tok); err == nil {
			t.Errorf("untoken(%q): no error", tok)
		}
	}
}

func TestTokenIsReadable(t *testing.T) {
	if got := token("room:lobby"); got != "room=3Alobby" {
		t.Errorf(`token("room:lobby") = %q`, got)
	}
}
