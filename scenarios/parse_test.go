package scenarios_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sockkit/sockkit/scenarios"
)

// A file in canonical form prints back to itself, byte for byte.
func TestParsePrintRoundTrip(t *testing.T) {
	text, err := os.ReadFile("testdata/room.scenario")
	if err != nil {
		t.Fatal(err)
	}
	s, err := scenarios.Parse("testdata/room.scenario", text)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(strings.Split(string(text), "\n"), strings.Split(s.String(), "\n")); diff != "" {
		t.Errorf("print(parse(file)) differs (-file +printed):\n%s", diff)
	}
	again, err := scenarios.Parse("printed", []byte(s.String()))
	if err != nil {
		t.Fatal(err)
	}
	if again.String() != s.String() {
		t.Error("parse(print(s)) prints differently")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		text string
		want string
	}{
		{"ada sned text \"x\"", `x.scenario:1:5: expected "send", "expect", "violate", "info", "drop", "stop", "resume" or "ignore", found "sned"`},
		{"ada send text hello", `x.scenario:1:15: expected the payload: a quoted string or 0x and hex digits, found "hello"`},
		{"\n\nada send text \"x", `x.scenario:3:15: string literal not terminated`},
		{"ada send binary 0xzz", `x.scenario:1:17: bad hex payload "0xzz": encoding/hex: invalid byte: U+007A 'z'`},
		{"advance soon", `x.scenario:1:9: expected a duration such as 1.5s, found "soon"`},
		{"ada expect close 70000", `x.scenario:1:18: expected a close code, a number from 0 to 65535, found "70000"`},
		{"ada expect refused 99", `x.scenario:1:20: expected an HTTP status, a number from 100 to 599, found "99"`},
		{"ada expect text /a(/", "x.scenario:1:17: bad regular expression: error parsing regexp: missing closing ): `a(`"},
		{"ada expect text /abc", `x.scenario:1:17: regular expression not terminated: expected a closing /`},
		{"ada expect json {\"a\":", `x.scenario:1:17: expected a JSON value: unexpected EOF`},
		{"ada expect terminate sad", `x.scenario:1:22: expected normal, remote, shutdown, timeout or error, found "sad"`},
		{"ada send text \"x\" extra", `x.scenario:1:19: unexpected "extra" at the end of the step`},
		{"  header X: y", `x.scenario:1:1: an indented line belongs under a connect step`},
		{"connect ada\n  hedaer X: y", `x.scenario:2:3: expected "header", found "hedaer"`},
		{"connect ada\n  header X y", `x.scenario:2:10: expected a header, Name: value`},
		{"connect shutdown", `x.scenario:1:9: expected the connection's name, found "shutdown"`},
		{"connect ada room", `x.scenario:1:13: expected a request target such as /path?query, found "room"`},
		{"@soon ada drop", `x.scenario:1:2: expected a time stamp such as @1.5s, found "@soon"`},
		{"@1s", `x.scenario:1:4: a time stamp needs a step`},
		{"!bang", `x.scenario:1:1: expected a step: connect, advance, shutdown, hold infos, deliver infos, or a connection's name and what it does; found "!bang"`},
		{"ada stop listening", `x.scenario:1:10: expected "reading", found "listening"`},
		{"ada send fragment ping \"x\"", `x.scenario:1:19: expected "text" or "binary", found "ping"`},
		{"ada send binary 0x00*99999999", `x.scenario:1:22: expected how many times to repeat the payload, at most 16777216 bytes in all`},
		{"ada send text \"ab\"*", `x.scenario:1:20: expected how many times to repeat the payload, at most 16777216 bytes in all`},
		{"ada send binary 0x0000*4611686018427387904", `x.scenario:1:24: expected how many times to repeat the payload, at most 16777216 bytes in all`},
		{strings.Repeat("ada send binary 0x00*16777216\n", 5), `x.scenario:5:22: the scenario's repeated payloads pass 67108864 bytes`},
		{"connect ada /%zz", `x.scenario:1:13: bad request target "/%zz": parse "/%zz": invalid URL escape "%zz"`},
	} {
		_, err := scenarios.Parse("x.scenario", []byte(tc.text))
		var se *scenarios.SyntaxError
		if !errors.As(err, &se) || err.Error() != tc.want {
			t.Errorf("Parse(%q):\n got %v\nwant %s", tc.text, err, tc.want)
		}
	}
}
