package wsurl

import "testing"

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"localhost:8080/ws":  "ws://localhost:8080/ws",
		"http://h/x":         "ws://h/x",
		"https://h/x?a=1":    "wss://h/x?a=1",
		"wss://h":            "wss://h",
		"ftp://h":            "",
		"ws:///no-host-here": "",
	} {
		u, err := Parse(in)
		switch {
		case want == "" && err == nil:
			t.Errorf("Parse(%q) = %v, want an error", in, u)
		case want != "" && (err != nil || u.String() != want):
			t.Errorf("Parse(%q) = %v, %v, want %s", in, u, err, want)
		}
	}
}
