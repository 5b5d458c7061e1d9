package scenarios_test

import (
	"os"
	"testing"

	"github.com/sockkit/sockkit/scenarios"
)

// FuzzParse checks that whatever parses prints in a form that parses back
// to the same text: printing is canonical and loses nothing.
//
//	go test -fuzz FuzzParse ./scenarios
func FuzzParse(f *testing.F) {
	room, err := os.ReadFile("testdata/room.scenario")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(room)
	f.Fuzz(func(t *testing.T, text []byte) {
		s, err := scenarios.Parse("fuzz", text)
		if err != nil {
			return
		}
		printed := s.String()
		again, err := scenarios.Parse("printed", []byte(printed))
		if err != nil {
			t.Fatalf("the printed form does not parse: %v\n%s", err, printed)
		}
		if again.String() != printed {
			t.Fatalf("printing is not canonical:\n%s\nthen\n%s", printed, again.String())
		}
	})
}
