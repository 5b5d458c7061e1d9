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

// The interactive socktui end to end, in a virtual terminal: connect to the
// demo, send, see the echo, /ping, /close, the recording saved; then the
// recording replays against the demo, and fails against a changed server.
func TestInteractiveEndToEnd(t *testing.T) {
	d, err := startDemo()
	if err != nil {
		t.Fatal(err)
	}
	defer d.stop()
	file := filepath.Join(t.TempDir(), "session.scenario")
	m := newModel(t.Context(), client.Config{URL: d.URL + "/echo"}, &options{record: file, noHistory: true})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	saw := func(what string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(what)) },
			teatest.WithDuration(3*time.Second))
	}
	enter := tea.KeyPressMsg{Code: tea.KeyEnter}

	saw("open ws://")
	tm.Type("hello")
	tm.Send(enter)
	saw("↓ text")
	tm.Type("/ping hb")
	tm.Send(enter)
	saw("↓ pong")
	tm.Type("/close 1000 bye")
	tm.Send(enter)
	saw("closed: close 1000")
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	tm.WaitFinished(t, teatest.WithFinalTimeout(3*time.Second))

	final := tm.FinalModel(t).(*model)
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
	d, err := startDemo()
	if err != nil {
		t.Fatal(err)
	}
	defer d.stop()
	m := newModel(t.Context(), client.Config{URL: d.URL + "/echo"}, &options{noHistory: true, reconnect: true})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	saw := func(what string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(what)) },
			teatest.WithDuration(3*time.Second))
	}
	enter := tea.KeyPressMsg{Code: tea.KeyEnter}
	saw("open ws://")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyF2})
	tm.Type("cafe")
	tm.Send(enter)
	saw("2B cafe")
	tm.Type("/only in binary")
	tm.Send(enter)
	saw("showing in binary")
	tm.Type("/drop")
	tm.Send(enter)
	saw("closed (dropped by the client")
	saw("open  ws://") // the status bar, once reconnected
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	tm.WaitFinished(t, teatest.WithFinalTimeout(3*time.Second))

	final := tm.FinalModel(t).(*model)
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
	d, err := startDemo()
	if err != nil {
		t.Fatal(err)
	}
	defer d.stop()
	file := filepath.Join(t.TempDir(), "two.scenario")
	m := newModel(t.Context(), client.Config{URL: d.URL + "/echo"}, &options{noHistory: true, record: file})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 30))
	saw := func(all ...string) { // in the output since the last call
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			for _, what := range all {
				if !bytes.Contains(b, []byte(what)) {
					return false
				}
			}
			return true
		}, teatest.WithDuration(3*time.Second))
	}
	enter := tea.KeyPressMsg{Code: tea.KeyEnter}
	saw("open ws://")
	tm.Type("from one")
	tm.Send(enter)
	saw("↓ text")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyF7})
	saw("connection c2 to", "open") // the status bar's state, once c2 is open
	tm.Type("from two")
	tm.Send(enter)
	saw("8B from two")
	tm.Send(tea.KeyPressMsg{Code: '1', Mod: tea.ModAlt})
	saw("[1:c1]")
	tm.Type("/quit")
	tm.Send(enter)
	tm.WaitFinished(t, teatest.WithFinalTimeout(3*time.Second))

	final := tm.FinalModel(t).(*model)
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
	d, err := startDemo()
	if err != nil {
		t.Fatal(err)
	}
	defer d.stop()
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
	m := newModel(t.Context(), client.Config{URL: d.URL + "/echo"}, &options{noHistory: true})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 30))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("open ws://")) })
	tm.Type("/replay " + file)
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	for range 10 {
		tm.Send(tea.KeyPressMsg{Code: tea.KeyF8})
		time.Sleep(50 * time.Millisecond) // a step's answer comes back meanwhile
	}
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("expectations met")) },
		teatest.WithDuration(3*time.Second))
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	tm.WaitFinished(t, teatest.WithFinalTimeout(3*time.Second))
	st := tm.FinalModel(t).(*model).stepper
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
	m := newModel(t.Context(), client.Config{URL: hs.URL}, &options{noHistory: true})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 20))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("open ws://")) })
	tm.Send(tea.KeyPressMsg{Code: 'r', Mod: tea.ModCtrl})
	tm.Send(tea.KeyPressMsg{Code: 'r', Mod: tea.ModCtrl})
	deadline := time.Now().Add(3 * time.Second)
	for open.Load() != 1 || time.Now().Before(deadline.Add(-2500*time.Millisecond)) {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections open after two reconnections, want 1", open.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	tm.WaitFinished(t, teatest.WithFinalTimeout(3*time.Second))
}
