package main

import (
	"context"
	"regexp"
	"strings"
	"time"

	"charm.land/bubbles/v2/textarea"
	tea "charm.land/bubbletea/v2"

	"github.com/sockkit/sockkit/cmd/socktui/internal/client"
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

	conn     *client.Conn
	state    state
	ended    string // how the connection ended
	openedAt time.Time
	hs       *client.Handshake

	log                 *ring
	in, out             int // messages
	bytesIn, bytesOut   int
	rtt                 time.Duration
	rec                 *recorder
	autoPing            time.Duration
	lastAutoPing        time.Time
	every               time.Duration // a message sent every so often
	everyMsg            string
	lastEvery           time.Time
	answerPings, paused bool
	binary              bool          // the composer takes hex or base64 for binary messages
	autoReconnect       bool          // reconnect when the connection ends, with backoff
	backoff             time.Duration // the wait before the next automatic reconnection

	input    textarea.Model
	history  []string
	histAt   int // position in history while browsing it; len(history) when not
	store    store
	snippets []snippet
	picking  []pick // a list to choose from, shown over the log
	pickWhat string

	width, height int
	focus         focus
	follow        bool // the log shows its newest entries
	selected      int  // index of the selected row among those shown
	showDetail    bool
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
	m := &model{ctx: ctx, cfg: cfg, opts: o, now: time.Now, log: newRing(logCapacity), input: in,
		follow: true, answerPings: true, autoReconnect: o.reconnect, width: 80, height: 24}
	if o.record != "" {
		m.rec = newRecorder("c1", o.mask)
	}
	if u, err := client.ParseURL(cfg.URL); err == nil {
		m.store = newStore(u)
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
		conn *client.Conn
		err  error
	}
	eventsMsg    []client.Event
	tickMsg      time.Time
	reconnectMsg struct{}
)

func (m *model) Init() tea.Cmd {
	return tea.Batch(m.dial(), tick())
}

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// dial connects, as the command line said.
func (m *model) dial() tea.Cmd {
	m.state, m.ended, m.hs = connecting, "", nil
	if m.rec != nil {
		u, _ := client.ParseURL(m.cfg.URL)
		m.rec.connect(m.now(), u, m.cfg.Header)
	}
	ctx, cfg := m.ctx, m.cfg
	return func() tea.Msg {
		c, err := client.Dial(ctx, cfg)
		return dialedMsg{c, err}
	}
}

// waitEvents waits for the connection's next events: the first, and those
// that are already waiting behind it, up to 512, so that fast traffic
// makes few updates.
func waitEvents(c *client.Conn) tea.Cmd {
	return func() tea.Msg {
		e, ok := <-c.Events()
		if !ok {
			return nil
		}
		batch := eventsMsg{e}
		for len(batch) < 512 {
			select {
			case e, ok := <-c.Events():
				if !ok {
					return batch
				}
				batch = append(batch, e)
			default:
				return batch
			}
		}
		return batch
	}
}

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.input.SetWidth(max(msg.Width, 10))
		return m, nil
	case dialedMsg:
		if msg.err != nil {
			m.state, m.ended = closed, msg.err.Error()
			m.note(msg.err.Error())
			return m, m.retry()
		}
		m.conn = msg.conn
		m.conn.AnswerPings(m.answerPings)
		return m, waitEvents(m.conn)
	case eventsMsg:
		for _, e := range msg {
			m.event(e)
		}
		if m.state == closed {
			return m, m.retry()
		}
		return m, waitEvents(m.conn)
	case tickMsg:
		return m, tea.Batch(tick(), m.timers(time.Time(msg)))
	case reconnectMsg:
		if m.autoReconnect && m.state == closed {
			m.note("reconnecting")
			return m, m.dial()
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

// event takes in one of the connection's events.
func (m *model) event(e client.Event) {
	if m.rec != nil {
		m.rec.event(e)
	}
	en := entry{at: e.At, kind: e.Kind, frame: e.Frame, rtt: e.RTT, text: e.Text}
	switch e.Kind {
	case client.Opened:
		m.state, m.openedAt, m.hs, m.backoff = open, e.At, e.Handshake, 0
		en.text = "open " + e.Handshake.URL
		if e.Handshake.Subprotocol != "" {
			en.text += " (" + e.Handshake.Subprotocol + ")"
		}
		for _, x := range m.opts.execute {
			m.send(sock.Text(x))
		}
	case client.Refused:
		m.hs = e.Handshake
		en.text = "refused: " + e.Err.Error()
		if e.Handshake.Status != 0 {
			m.showHandshake = true
		}
	case client.In:
		switch {
		case e.Frame.Op.IsData():
			m.in++
			m.bytesIn += len(e.Frame.Payload)
		case e.Frame.Op == sock.OpPong && e.RTT > 0:
			m.rtt = e.RTT
		case e.Frame.Op == sock.OpClose:
			m.state = closing
		}
	case client.Out:
		if e.Frame.Op.IsData() {
			m.out++
			m.bytesOut += len(e.Frame.Payload)
		}
		if e.Frame.Op == sock.OpClose && m.state == open {
			m.state = closing
		}
	case client.Closed:
		m.state = closed
		m.ended = closeSummary(m.log)
		if e.Err != nil {
			m.ended = e.Err.Error()
		}
		en.text = "closed: " + m.ended
		if m.rec != nil && m.opts.record != "" {
			m.save(m.opts.record)
		}
	}
	m.log.add(en)
}

// closeSummary says how the connection closed: the server's close frame's
// code and reason, the last in the log.
func closeSummary(log *ring) string {
	for i := log.len() - 1; i >= 0; i-- {
		if e := log.at(i); e.kind == client.In && e.frame.Op == sock.OpClose {
			return e.frame.String()
		}
	}
	return "without a close frame"
}

// retry schedules the next automatic reconnection, if they are on: after
// half a second, then twice as long each time it fails, up to 30s.
func (m *model) retry() tea.Cmd {
	if !m.autoReconnect {
		return nil
	}
	m.backoff = min(max(2*m.backoff, 500*time.Millisecond), 30*time.Second)
	m.note("reconnecting in " + m.backoff.String())
	return tea.Tick(m.backoff, func(time.Time) tea.Msg { return reconnectMsg{} })
}

// note adds a line of socktui's own to the log.
func (m *model) note(text string) {
	m.log.add(entry{at: m.now(), kind: client.Note, text: text})
}

// timers sends the automatic pings and scheduled messages that are due.
func (m *model) timers(now time.Time) tea.Cmd {
	if m.state != open {
		return nil
	}
	if m.autoPing > 0 && now.Sub(m.lastAutoPing) >= m.autoPing {
		m.lastAutoPing = now
		m.send(sock.Frame{Op: sock.OpPing, Payload: []byte(now.Format("15:04:05.000"))})
	}
	if m.every > 0 && now.Sub(m.lastEvery) >= m.every {
		m.lastEvery = now
		m.send(sock.Text(m.everyMsg))
	}
	return nil
}

// send sends f, noting a failure in the log.
func (m *model) send(f sock.Frame) {
	if m.conn == nil || m.state == closed {
		m.status = "not connected: ctrl+r reconnects"
		return
	}
	if err := m.conn.Send(f); err != nil {
		m.note("send failed: " + err.Error())
	}
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
