package scenarios_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sockkit/sockkit/scenarios"
	"github.com/sockkit/sockkit/sockt"
)

func TestReplayFile(t *testing.T) {
	for _, loopback := range []bool{false, true} {
		name := map[bool]string{false: "sim", true: "loopback"}[loopback]
		t.Run(name, func(t *testing.T) {
			scenarios.ReplayFile(t, newGreeter, "testdata/greet.scenario", &scenarios.Options{Loopback: loopback})
		})
	}
}

// Failures Check once found, kept as scenarios: sock's own rules are
// checked after every step of a replay in the simulator.
func TestReplayRegressions(t *testing.T) {
	scenarios.ReplayFile(t, echoServer, "testdata/empty-ping-between-fragments.scenario", nil)
}

// A replay that fails says where, in the file, and what.
func TestReplayFailures(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
		loopback         bool
	}{
		{"wrong text", "connect ada /?name=ada\nada expect text \"hi, ada\"",
			`x.scenario:2: ada expect text "hi, ada": sockt: ExpectPush: pushed frame differs`, false},
		{"refused", "connect bob /\nbob expect accepted",
			`x.scenario:2: bob expect accepted: sockt: ExpectAccepted(""): refused with 401 "who are you?"`, false},
		{"refusal body", "connect bob /\nbob expect refused 401 \"go away\"",
			`x.scenario:2: bob expect refused 401 "go away": refused with body "who are you?", want "go away"`, false},
		{"unknown connection", "eve send text \"hi\"",
			`x.scenario:1: eve send text "hi": no connection named eve: connect it first`, false},
		{"missing secret", "connect ada /?name=ada\n  header Authorization: Bearer ${SCENARIOS_TEST_UNSET}",
			`x.scenario:1: connect ada /?name=ada: header Authorization needs $SCENARIOS_TEST_UNSET, which is not set`, false},
		{"simulator only", "connect ada /?name=ada\nada drop",
			`x.scenario:2: ada drop: this step needs the simulator`, true},
		{"violation without bytes", "connect ada /?name=ada\nada violate \"a bad mood\"",
			`x.scenario:2: ada violate "a bad mood": no bytes for the violation "a bad mood" over a socket; these have some: RSV1 set, unmasked frame`, true},
		{"a name twice", "connect ada /?name=ada\nconnect ada /?name=ada",
			`x.scenario:2: connect ada /?name=ada: a connection named ada is open already: name each connection once`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := scenarios.Parse("x.scenario", []byte(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			failures := sockt.Failures(func(ft sockt.TB) {
				scenarios.Replay(ft, newGreeter, s, &scenarios.Options{Loopback: tc.loopback})
			})
			if len(failures) == 0 || !strings.Contains(failures[0], tc.want) {
				t.Errorf("failures %q, want the first to contain %q", failures, tc.want)
			}
		})
	}
}

// What a scenario leaves as it is does not fail the replay: a $ that names
// no variable, a client that stopped reading under a flood.
func TestReplayEdges(t *testing.T) {
	s, err := scenarios.Parse("edges", []byte(`connect ada /?name=ada
  header X-Price: $5 or $$
ada expect text "hello, ada"
ada stop reading
ada send binary 0x00*100000
`))
	if err != nil {
		t.Fatal(err)
	}
	scenarios.Replay(t, newGreeter, s, nil)
}

// A scenario replays against a live server, out of the test's sight, as
// socktui's headless runner does.
func TestReplayAgainstURL(t *testing.T) {
	live := httptest.NewServer(newGreeter())
	t.Cleanup(live.Close)
	scenarios.ReplayFile(t, nil, "testdata/live.scenario", &scenarios.Options{URL: live.URL})

	s, err := scenarios.Parse("x.scenario", []byte("connect ada /?name=ada\nada expect text \"hi, ada\"\nada info \"x\""))
	if err != nil {
		t.Fatal(err)
	}
	failures := sockt.Failures(func(ft sockt.TB) {
		scenarios.Replay(ft, nil, s, &scenarios.Options{URL: live.URL})
	})
	want := "x.scenario:2: ada expect text \"hi, ada\": sockt: ExpectPush: pushed frame differs"
	if len(failures) == 0 || !strings.Contains(failures[0], want) || !strings.Contains(failures[0], "hello, ada") {
		t.Errorf("failures %q, want the first to contain %q and what came", failures, want)
	}
}

// A typo in Skip fails, rather than switch nothing off.
func TestSkipNamesAreChecked(t *testing.T) {
	failures := sockt.Failures(func(ft sockt.TB) {
		scenarios.Replay(ft, newGreeter, &scenarios.Scenario{}, &scenarios.Options{Skip: []string{"leak"}})
	})
	if len(failures) != 1 || !strings.Contains(failures[0], `Options.Skip names "leak", which is no check`) {
		t.Errorf("failures %q", failures)
	}
}
