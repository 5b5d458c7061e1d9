package scenarios

import (
	"testing"

	"github.com/sockkit/sockkit/sock"
)

func TestMaskedJSON(t *testing.T) {
	for _, tc := range []struct {
		want, got string
		match     bool
	}{
		{`{"a":1,"b":"<any>"}`, `{"b":[1,2],"a":1.0}`, true},
		{`{"n":9007199254740992}`, `{"n":9007199254740993}`, false},
		{`{"a":1}`, `{"a":1,"b":2}`, false},
		{`["<any>",2]`, `[{"x":null},2]`, true},
		{`"<any>"`, `not json`, false},
	} {
		if got := maskedJSON(tc.want).Match(sock.Text(tc.got)); got != tc.match {
			t.Errorf("JSON %s matches %s: %v, want %v", tc.want, tc.got, got, tc.match)
		}
	}
}
