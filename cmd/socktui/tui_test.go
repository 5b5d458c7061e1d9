package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/sockkit/sockkit/cmd/socktui/internal/client"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// tui runs the model in a virtual terminal of width×height, connected
// to url, as a test drives it.
type tui struct {
	t  *testing.T
	tm *teatest.TestModel
}

func newTUI(t *testing.T, url string, o *options, width, height int) *tui {
	o.noHistory = true
	m := newModel(t.Context(), client.Config{URL: url}, o)
	return &tui{t, teatest.NewTestModel(t, m, teatest.WithInitialTermSize(width, height))}
}

// demoTUI starts the demo server and a TUI on its echo endpoint.
func demoTUI(t *testing.T, o *options) (*tui, *demo) {
	d, err := startDemo()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.stop)
	return newTUI(t, d.URL+"/echo", o, 120, 30), d
}

// saw waits for the screen to have drawn all of what, since the last call.
func (u *tui) saw(what ...string) {
	u.t.Helper()
	teatest.WaitFor(u.t, u.tm.Output(), func(b []byte) bool {
		for _, w := range what {
			if !bytes.Contains(b, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(3*time.Second))
}

// enter types text and presses enter.
func (u *tui) enter(text string) {
	u.tm.Type(text)
	u.tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
}

// quit presses ctrl+c and returns the model as it ended.
func (u *tui) quit() *model {
	u.tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	u.tm.WaitFinished(u.t, teatest.WithFinalTimeout(3*time.Second))
	return u.tm.FinalModel(u.t).(*model)
}

// The interactive socktui end to end, in a virtual terminal: connect to the
// demo, send, see the echo, /ping, /close, the recording saved; then the
// recording replays against the demo, and fails against a changed server.
func TestInteractiveEndToEnd(t *testing.T) {
	file := filepath.Join(t.TempDir(), "session.scenario")
	u, d := demoTUI(t, &options{record: file})
	u.saw("open ws://")
	u.enter("hello")
	u.saw("↓ text")
	u.enter("/ping hb")
	u.saw("↓ pong")
	u.enter("/close 1000 bye")
	u.saw("closed: close 1000")
	final := u.quit()
	if final.in != 1 || final.out != 1 || final.state != closed {
		t.Errorf("final model: %d in, %d out, state %v", final.in, final.out, final.state)
	}
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`c1 send text "hello"`, `c1 expect text "hello"`, `c1 send ping "hb"`, `c1 expect pong "hb"`,
		`c1 send close 1000 "bye"`, `c1 expect close 1000`} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the recording lacks %q:\n%s", want, text)
		}
	}

	if out, errOut, status := socktuiRun(t, "", "run", file, "--url", d.URL); status != 0 {
		t.Errorf("replay against the demo: status %d\n%s%s", status, out, errOut)
	}
	changed := httptest.NewServer(sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return upper{} }), nil))
	defer changed.Close()
	if out, _, status := socktuiRun(t, "", "run", file, "--url", changed.URL); status != 1 || !strings.Contains(out, `"HELLO"`) {
		t.Errorf("replay against a changed server: status %d, want 1 and a diff:\n%s", status, out)
	}
}

// Binary messages typed as hex, the log filtered, and a dropped connection
// reconnected by itself.
func TestInteractiveBinaryFilterReconnect(t *testing.T) {
	u, _ := demoTUI(t, &options{reconnect: true})
	u.saw("open ws://")
	u.tm.Send(tea.KeyPressMsg{Code: tea.KeyF2})
	u.enter("cafe")
	u.saw("2B cafe")
	u.enter("/only in binary")
	u.saw("showing in binary")
	u.enter("/drop")
	u.saw("closed (dropped by the client")
	u.saw("open  ws://") // the status bar, once reconnected
	final := u.quit()
	var notes []string
	opened := 0
	for i := range final.log.len() {
		switch e := final.log.at(i); e.kind {
		case client.Note:
			notes = append(notes, e.text)
		case client.Opened:
			opened++
		}
	}
	if !slices.Contains(notes, "reconnecting in 500ms") || opened != 2 {
		t.Errorf("after the drop: opened %d times, notes %q", opened, notes)
	}
	rows := final.visible()
	if len(rows) != 1 || final.log.at(rows[0]).frame.Op != sock.OpBinary || final.log.at(rows[0]).kind != client.In {
		t.Errorf("/only in binary shows %d rows", len(rows))
	}
	if final.in != 1 || final.bytesIn != 2 {
		t.Errorf("binary echo: %d in, %d bytes", final.in, final.bytesIn)
	}
}

// Two connections at once, each with its own log, recorded as one
// scenario with two named connections.
func TestInteractiveTwoConnections(t *testing.T) {
	file := filepath.Join(t.TempDir(), "two.scenario")
	u, _ := demoTUI(t, &options{record: file})
	u.saw("open ws://")
	u.enter("from one")
	u.saw("↓ text")
	u.tm.Send(tea.KeyPressMsg{Code: tea.KeyF7})
	u.saw("connection c2 to", "open") // the status bar's state, once c2 is open
	u.enter("from two")
	u.saw("8B from two")
	u.tm.Send(tea.KeyPressMsg{Code: '1', Mod: tea.ModAlt})
	u.saw("[1:c1]")
	final := u.quit()
	if len(final.tabs) != 2 || final.tab != final.tabs[0] || final.tabs[0].out != 1 || final.tabs[1].out != 1 {
		t.Fatalf("tabs: %d, the first shown %v", len(final.tabs), final.tab == final.tabs[0])
	}
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"connect c1 /echo", `c1 send text "from one"`, "connect c2 /echo", `c2 send text "from two"`, `c2 expect text "from two"`} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the recording lacks %q:\n%s", want, text)
		}
	}
}

// A scenario stepped through in the TUI: each expectation beside what
// came, met or not.
func TestInteractiveStepThroughScenario(t *testing.T) {
	file := filepath.Join(t.TempDir(), "steps.scenario")
	os.WriteFile(file, []byte(`connect ada /echo
ada expect accepted
ada send text "hello"
ada expect text "hello"
ada send ping "hb"
ada expect pong "hb"
connect bob /nowhere
bob expect refused 404
ada send text "x"
ada expect text "y"
`), 0o644)
	u, _ := demoTUI(t, &options{})
	u.saw("open ws://")
	u.enter("/replay " + file)
	for range 10 {
		u.tm.Send(tea.KeyPressMsg{Code: tea.KeyF8})
		time.Sleep(50 * time.Millisecond) // a step's answer comes back meanwhile
	}
	u.saw("expectations met")
	st := u.quit().stepper
	if st.passed != 4 || st.failed != 1 {
		t.Errorf("replay: %d met, %d not; want 4 and 1 (expect text \"y\" got \"x\")", st.passed, st.failed)
	}
}

// counted echoes, counting the connections open.
type counted struct{ open *atomic.Int64 }

func (c counted) Init(*sock.Conn) sock.Result                   { c.open.Add(1); return sock.Continue() }
func (counted) HandleIn(_ *sock.Conn, m sock.Frame) sock.Result { return sock.Push(m) }
func (c counted) Terminate(*sock.Conn, sock.Reason)             { c.open.Add(-1) }

// Reconnecting twice in a row leaves one connection, not two.
func TestReconnectTwice(t *testing.T) {
	var open atomic.Int64
	hs := httptest.NewServer(sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return counted{&open} }), nil))
	defer hs.Close()
	u := newTUI(t, hs.URL, &options{}, 100, 20)
	u.saw("open ws://")
	u.tm.Send(tea.KeyPressMsg{Code: 'r', Mod: tea.ModCtrl})
	u.tm.Send(tea.KeyPressMsg{Code: 'r', Mod: tea.ModCtrl})
	deadline := time.Now().Add(3 * time.Second)
	for open.Load() != 1 || time.Now().Before(deadline.Add(-2500*time.Millisecond)) {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections open after two reconnections, want 1", open.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	u.quit()
}
