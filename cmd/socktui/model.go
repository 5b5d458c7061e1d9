package main

import (
	"context"
	"regexp"
	"strings"
	"time"

	"charm.land/bubbles/v2/textarea"
	tea "charm.land/bubbletea/v2"

	"github.com/sockkit/sockkit/cmd/socktui/internal/client"
	"github.com/sockkit/sockkit/internal/wsurl"
	"github.com/sockkit/sockkit/sock"
)

// logCapacity bounds the log: older entries leave it.
const logCapacity = 10000

// state is where the connection stands.
type state uint8

const (
	connecting state = iota
	open
	closing
	closed
)

var stateNames = [...]string{connecting: "connecting", open: "open", closing: "closing", closed: "closed"}

// focus is what the keys go to.
type focus uint8

const (
	composer focus = iota
	logView
)

// model is the interactive socktui: the log, the composer, the status. The
// connection lives in package client; its events come in batches through
// waitEvents, re-armed after each.
type model struct {
	ctx  context.Context
	cfg  client.Config
	opts *options
	now  func() time.Time // the clock, injected in tests

	*tab        // the connection shown, one of tabs
	tabs []*tab // every connection opened, in order

	rec           *recorder
	stepper       *stepper // a scenario being stepped through, if any
	autoPing      time.Duration
	every         time.Duration // a message sent every so often
	everyMsg      string
	binary        bool // the composer takes hex or base64 for binary messages
	autoReconnect bool // reconnect when a connection ends, with backoff

	input    textarea.Model
	history  []string
	histAt   int // position in history while browsing it; len(history) when not
	store    store
	snippets []snippet
	picking  []pick // a list to choose from, shown over the log
	pickWhat string

	width, height int
	focus         focus
	showDetail    bool
	detail        detail // the detail pane's text, formatted once
	showHandshake bool
	showProbes    bool
	showHelp      bool
	relative      bool          // times since the connection opened, not of day
	onlyDir       client.Kind   // the direction the log shows, 0 for both
	onlyOps       []sock.Opcode // the opcodes it shows, nil for all
	search        *regexp.Regexp
	status        string // the last command's outcome
}

func newModel(ctx context.Context, cfg client.Config, o *options) *model {
	in := textarea.New()
	in.Placeholder = "a message, or /help"
	in.ShowLineNumbers = false
	in.Prompt = "> "
	in.SetHeight(1)
	in.KeyMap.InsertNewline.SetKeys("alt+enter", "ctrl+j")
	in.Focus()
	m := &model{ctx: ctx, cfg: cfg, opts: o, now: time.Now, input: in, autoReconnect: o.reconnect, width: 80, height: 24}
	m.addTab(cfg)
	if o.record != "" {
		m.rec = newRecorder(o.mask)
	}
	if u, err := wsurl.Parse(cfg.URL); err == nil {
		m.store = newStore(u, o.storeHost)
		if o.noHistory {
			m.store.history = ""
		}
		var err error
		if m.history, err = m.store.loadHistory(); err != nil {
			m.status = "history: " + err.Error()
		}
		if m.snippets, err = m.store.loadSnippets(); err != nil {
			m.status = "snippets: " + err.Error()
		}
		m.histAt = len(m.history)
	}
	return m
}

// pick is an entry of a list to choose from: a snippet, a past message.
type pick struct{ label, text string }

// Messages of the model's own.
type (
	dialedMsg struct {
		tab  *tab
		gen  int // the tab's dial this answers
		conn *client.Conn
		err  error
	}
	eventsMsg struct {
		tab    *tab
		conn   *client.Conn // the connection they come from
		events []client.Event
	}
	tickMsg      time.Time
	reconnectMsg struct{ tab *tab }
)

func (m *model) Init() tea.Cmd {
	return tea.Batch(m.dial(m.tab), tick())
}

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.input.SetWidth(max(msg.Width, 10))
		m.fitInput()
		return m, nil
	case dialedMsg:
		t := msg.tab
		if msg.gen != t.gen { // a dial since superseded: ctrl+r twice, say
			if msg.conn != nil {
				discard(msg.conn)
			}
			return m, nil
		}
		if msg.err != nil {
			t.state, t.ended = closed, msg.err.Error()
			t.note(m.now(), msg.err.Error())
			return m, m.retry(t)
		}
		t.conn = msg.conn
		t.conn.AnswerPings(t.answerPings)
		return m, waitEvents(t, t.conn)
	case eventsMsg:
		if msg.conn != msg.tab.conn {
			return m, nil // from a connection reconnecting replaced, drained by discard
		}
		for _, e := range msg.events {
			m.event(msg.tab, e)
		}
		m.checkWaiting()
		if msg.tab.state == closed {
			return m, m.retry(msg.tab)
		}
		return m, waitEvents(msg.tab, msg.conn)
	case stepMsg:
		m.checkWaiting()
		return m, nil
	case tickMsg:
		m.timers(time.Time(msg))
		return m, tick()
	case reconnectMsg:
		if m.autoReconnect && msg.tab.state == closed {
			msg.tab.note(m.now(), "reconnecting")
			return m, m.dial(msg.tab)
		}
		return m, nil
	case tea.KeyPressMsg:
		return m, m.key(msg)
	case tea.PasteMsg:
		if m.focus == composer {
			var cmd tea.Cmd
			m.input, cmd = m.input.Update(msg)
			m.fitInput()
			return m, cmd
		}
	}
	return m, nil
}

// save writes the recording to path.
func (m *model) save(path string) {
	if m.rec == nil {
		m.status = "not recording: start with --record FILE, or /record"
		return
	}
	if err := m.rec.write(path); err != nil {
		m.status = "save: " + err.Error()
		return
	}
	m.status = "recorded to " + path
}

// fitInput grows the composer with its lines, up to a third of the screen.
func (m *model) fitInput() {
	lines := strings.Count(m.input.Value(), "\n") + 1
	m.input.SetHeight(min(max(lines, 1), max(m.height/3, 1)))
}
