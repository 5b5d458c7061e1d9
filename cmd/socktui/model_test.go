package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/sockkit/sockkit/cmd/socktui/internal/client"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sockt"
)

// start is the tests' clock: every time is a fixed offset from it.
var start = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }

// testModel returns a model of size width×height whose clock stands at
// start plus 5s.
func testModel(t testing.TB, width, height int) *model {
	m := newModel(t.Context(), client.Config{URL: "ws://example.com/echo"}, &options{noHistory: true})
	m.now = func() time.Time { return at(5000) }
	m.Update(tea.WindowSizeMsg{Width: width, Height: height})
	return m
}

// session is a short conversation, as the connection reports it.
func session() []client.Event {
	hs := &client.Handshake{URL: "ws://example.com/echo", Status: 101, Subprotocol: "chat.v1",
		RequestHeader: http.Header{"Host": {"example.com"}}, Header: http.Header{"Upgrade": {"websocket"}}}
	return []client.Event{
		{At: at(0), Kind: client.Opened, Handshake: hs},
		{At: at(100), Kind: client.Out, Frame: sock.Text("hello")},
		{At: at(101), Kind: client.In, Frame: sock.Text("hello")},
		{At: at(200), Kind: client.Out, Frame: sock.Text(`{"n":1,"list":[1,2]}`)},
		{At: at(201), Kind: client.In, Frame: sock.Text(`{"n":1,"list":[1,2]}`)},
		{At: at(300), Kind: client.Out, Frame: sock.Frame{Op: sock.OpPing, Payload: []byte("hb")}},
		{At: at(301), Kind: client.In, Frame: sock.Frame{Op: sock.OpPong, Payload: []byte("hb")}, RTT: 1234 * time.Microsecond},
		{At: at(400), Kind: client.In, Frame: sock.Binary([]byte{0xde, 0xad, 0xbe, 0xef})},
	}
}

func TestModelCountsWhatHappens(t *testing.T) {
	m := testModel(t, 80, 16)
	m.Update(eventsMsg{m.tab, nil, session()})
	if m.state != open || m.in != 3 || m.out != 2 || m.bytesIn != 5+20+4 || m.rtt != 1234*time.Microsecond {
		t.Errorf("state %v, in %d, out %d, bytes in %d, rtt %v", m.state, m.in, m.out, m.bytesIn, m.rtt)
	}
	m.Update(eventsMsg{m.tab, nil, []client.Event{
		{At: at(500), Kind: client.In, Frame: sock.CloseFrame(4000, "bye")},
		{At: at(501), Kind: client.Out, Frame: sock.CloseFrame(4000, "")},
		{At: at(502), Kind: client.Closed},
	}})
	if m.state != closed || m.ended != `close 4000 "bye"` {
		t.Errorf("after the close: state %v, ended %q", m.state, m.ended)
	}
}

// The screen at a fixed size and clock, colours aside, as a golden file
// (SOCKT_UPDATE=1 rewrites it).
func TestModelView(t *testing.T) {
	m := testModel(t, 80, 16)
	m.Update(eventsMsg{m.tab, nil, session()})
	screen := func() []string { return strings.Split(ansi.Strip(m.render()), "\n") }
	sockt.Golden(t, "testdata/log.golden", screen())

	m.Update(key("tab"))
	m.Update(key("up"))
	m.Update(key("up"))
	m.Update(key("up"))
	m.Update(key("enter"))
	sockt.Golden(t, "testdata/detail.golden", screen())

	m.Update(key("esc"))
	m.Update(key("ctrl+o"))
	sockt.Golden(t, "testdata/handshake.golden", screen())
}

// key returns the key press the name describes, as bubbletea reports it.
func key(name string) tea.KeyPressMsg {
	switch name {
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	}
	if ctrl, ok := strings.CutPrefix(name, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: rune(ctrl[0]), Mod: tea.ModCtrl}
	}
	return tea.KeyPressMsg{Code: rune(name[0]), Text: name}
}

// typeText types s into the model, key by key.
func typeText(m *model, s string) {
	for _, r := range s {
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func TestModelKeys(t *testing.T) {
	m := testModel(t, 80, 16)
	m.Update(eventsMsg{m.tab, nil, session()})

	if m.Update(key("tab")); m.focus != logView {
		t.Fatal("tab did not give the log the focus")
	}
	m.Update(key("up"))
	if m.follow || m.selected != len(m.visible())-2 {
		t.Errorf("up in the log: follow %v, selected %d of %d", m.follow, m.selected, len(m.visible()))
	}
	m.Update(key("end"))
	if !m.follow {
		t.Error("end did not follow the log again")
	}
	m.Update(key("tab"))

	typeText(m, "/close 4000 bye")
	if m.input.Value() != "/close 4000 bye" {
		t.Fatalf("composer holds %q", m.input.Value())
	}
	m.Update(key("enter"))
	if m.input.Value() != "" || m.status != "not connected: ctrl+r reconnects" {
		t.Errorf("enter with no connection: composer %q, status %q", m.input.Value(), m.status)
	}
	m.Update(key("up"))
	if m.input.Value() != "/close 4000 bye" {
		t.Errorf("up recalls %q, want the last message", m.input.Value())
	}
	m.Update(key("down"))
	typeText(m, "/bogus")
	m.Update(key("enter"))
	if !strings.HasPrefix(m.status, "no command /bogus") {
		t.Errorf("status %q for an unknown command", m.status)
	}
	typeText(m, "/find dead")
	m.Update(key("enter"))
	if e := m.selectedEntry(m.visible()); m.focus != logView || e == nil || e.frame.Op != sock.OpBinary {
		t.Errorf("/find dead selected %v", e)
	}
	m.Update(key("tab"))
	typeText(m, "/only in")
	m.Update(key("enter"))
	for _, i := range m.visible() {
		if m.log.at(i).kind != client.In {
			t.Fatalf("/only in shows %v", m.log.at(i).kind)
		}
	}
}

func TestRingKeepsTheNewest(t *testing.T) {
	r := newRing(3)
	for i := range 5 {
		r.add(entry{text: string(rune('a' + i))})
	}
	if r.len() != 3 || r.at(0).text != "c" || r.at(2).text != "e" || r.dropped() != 2 {
		t.Errorf("ring of 3 after 5: len %d, first %q, last %q, dropped %d", r.len(), r.at(0).text, r.at(2).text, r.dropped())
	}
}

// BenchmarkModel feeds events into the model in batches, as a fast server
// would, rendering after each batch of 512, and reports events a second;
// "frame" renders a screen of a full log (10,000 entries).
//
//	go test -run '^$' -bench Model -cpu 1 ./cmd/socktui
func BenchmarkModel(b *testing.B) {
	m := testModel(b, 120, 40)
	events := make([]client.Event, 512)
	batch := eventsMsg{m.tab, nil, events}
	for i := range events {
		events[i] = client.Event{At: at(i), Kind: client.In, Frame: sock.Text(`{"type":"tick","n":12345,"payload":"some text of the usual length"}`)}
	}
	b.Run("events", func(b *testing.B) {
		for b.Loop() {
			m.Update(batch)
			_ = m.render()
		}
		b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("frame", func(b *testing.B) {
		for m.log.len() < logCapacity {
			m.Update(batch)
		}
		for b.Loop() {
			_ = m.render()
		}
	})
	b.Run("frame of big messages", func(b *testing.B) {
		big := testModel(b, 120, 40)
		payload := []byte(`{"data":"` + strings.Repeat("x", 1<<20) + `"}`)
		for range 50 {
			big.Update(eventsMsg{big.tab, nil, []client.Event{{At: at(0), Kind: client.In, Frame: sock.Text(string(payload))}}})
		}
		big.Update(key("tab"))
		big.Update(key("enter")) // the detail pane of a 1 MiB message
		for b.Loop() {
			_ = big.render()
		}
	})
}

// History and snippets live in plain files: the history per endpoint in the
// user's configuration directory, the snippets in .socktui/ of the working
// directory.
func TestHistoryAndSnippets(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Chdir(t.TempDir())
	newM := func() *model {
		m := newModel(t.Context(), client.Config{URL: "ws://example.com:8080/chat"}, &options{})
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 16})
		return m
	}
	m := newM()
	for _, msg := range []string{`{"join":"lobby"}`, "line one\nline two", "/snippet join"} {
		m.input.SetValue(msg)
		m.Update(key("enter"))
	}
	if !strings.HasPrefix(m.status, `saved as "join"`) {
		t.Fatalf("status %q after /snippet join", m.status)
	}

	m = newM() // as the next run would
	if got := strings.Join(m.history, "|"); got != "{\"join\":\"lobby\"}|line one\nline two|/snippet join" {
		t.Errorf("history read back: %q", got)
	}
	text, err := os.ReadFile(filepath.Join(".socktui", "example.com_8080_chat.snippets"))
	if err != nil || string(text) != "## join\nline one\nline two\n" {
		t.Errorf("snippets file %q, %v", text, err)
	}
	m.Update(tea.KeyPressMsg{Code: tea.KeyF3})
	if len(m.picking) != 1 || m.picking[0].label != "join" {
		t.Fatalf("snippet picker: %+v", m.picking)
	}
	m.Update(key("1"))
	if m.input.Value() != "line one\nline two" || m.picking != nil {
		t.Errorf("picking snippet 1 put %q in the composer", m.input.Value())
	}
	m.input.Reset()
	m.input.SetValue("/history lobby")
	m.Update(key("enter"))
	if len(m.picking) != 1 || m.picking[0].text != `{"join":"lobby"}` {
		t.Errorf("/history lobby lists %+v", m.picking)
	}
}

func TestParseSnippets(t *testing.T) {
	list, err := parseSnippets("# comments first\n## a\none\n\n## b\n\ntwo\nlines\n")
	if err != nil || len(list) != 2 || list[0] != (snippet{"a", "one"}) || list[1] != (snippet{"b", "two\nlines"}) {
		t.Errorf("parseSnippets: %q, %v", list, err)
	}
	if _, err := parseSnippets("##  \n"); err == nil {
		t.Error("a snippet without a name parsed")
	}
}

// "/connect /path" opens a connection to another path of the same server.
func TestConnectResolves(t *testing.T) {
	m := testModel(t, 80, 16)
	for arg, want := range map[string]string{
		"/clock?tz=UTC":         "ws://example.com/clock?tz=UTC",
		"wss://other.example/x": "wss://other.example/x",
		"localhost:9000/ws":     "ws://localhost:9000/ws",
	} {
		if got, err := m.resolve(arg); err != nil || got != want {
			t.Errorf("/connect %s: %q, %v, want %s", arg, got, err, want)
		}
	}
}

// The entry selected stays selected as the oldest entries leave a full
// log.
func TestSelectionStaysWhenTheLogIsFull(t *testing.T) {
	m := testModel(t, 80, 16)
	events := make([]client.Event, logCapacity)
	for i := range events {
		events[i] = client.Event{At: at(i), Kind: client.In, Frame: sock.Text(fmt.Sprintf("msg %d", i))}
	}
	m.Update(eventsMsg{m.tab, nil, events})
	m.Update(key("tab"))
	for range 6 {
		m.Update(key("up"))
	}
	before := string(m.selectedEntry(m.visible()).frame.Payload)
	m.Update(eventsMsg{m.tab, nil, events[:2]})
	m.render()
	if after := string(m.selectedEntry(m.visible()).frame.Payload); after != before {
		t.Errorf("the selection moved from %q to %q", before, after)
	}
}
