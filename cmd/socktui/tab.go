package main

import (
	"strconv"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/sockkit/sockkit/cmd/socktui/internal/client"
	"github.com/sockkit/sockkit/internal/wsurl"
	"github.com/sockkit/sockkit/sock"
)

// tab is one connection and what socktui shows of it, its own log among
// them: several may be open at once, to poke a chat-like server as two
// users. The model shows one at a time.
type tab struct {
	name     string // c1, c2…: the connection's name in a recording
	cfg      client.Config
	conn     *client.Conn
	state    state
	ended    string // how the connection ended
	openedAt time.Time
	hs       *client.Handshake

	log                     *ring
	in, out                 int // messages
	bytesIn, bytesOut       int
	rtt                     time.Duration
	lastAutoPing, lastEvery time.Time
	answerPings, paused     bool
	backoff                 time.Duration // the wait before the next automatic reconnection
	gen                     int           // counts dials: an answer to an older one is stale

	inbox []sock.Frame // frames received while a scenario is stepped through, for its expectations

	follow   bool // the log shows its newest entries
	selected int  // index of the selected row among those shown
	selSeq   int  // the selected entry's place since the log began, which keeps it selected
}

// addTab opens a tab for a connection as cfg says, shows it and returns
// it; the connection is dialled by the command m.dial returns.
func (m *model) addTab(cfg client.Config) *tab {
	t := &tab{name: "c" + strconv.Itoa(len(m.tabs)+1), cfg: cfg, log: newRing(logCapacity), answerPings: true, follow: true}
	m.tabs = append(m.tabs, t)
	m.tab = t
	if len(m.tabs) > 1 {
		t.note(m.now(), "connection "+t.name+" to "+cfg.URL+" (alt+"+strconv.Itoa(len(m.tabs))+" shows it)")
	}
	return t
}

// dial connects the tab's connection, replacing the one it has.
func (m *model) dial(t *tab) tea.Cmd {
	if t.conn != nil {
		discard(t.conn)
		t.conn = nil
	}
	t.gen++
	gen := t.gen
	t.state, t.ended, t.hs = connecting, "", nil
	if m.rec != nil {
		u, _ := wsurl.Parse(t.cfg.URL)
		m.rec.connect(t.name, m.now(), u, t.cfg.Header, t.cfg.Subprotocols)
	}
	ctx, cfg := m.ctx, t.cfg
	return func() tea.Msg {
		c, err := client.Dial(ctx, cfg)
		return dialedMsg{t, gen, c, err}
	}
}

// discard drops a connection no tab shows any more, and takes its events
// to the end, so that its goroutines end.
func discard(c *client.Conn) {
	c.Drop()
	go func() {
		for range c.Events() {
		}
	}()
}

// waitEvents waits for the next events of c, the tab's connection: the
// first, and those that are already waiting behind it, up to 512, so that
// fast traffic makes few updates.
func waitEvents(t *tab, c *client.Conn) tea.Cmd {
	return func() tea.Msg {
		e, ok := <-c.Events()
		if !ok {
			return nil
		}
		batch := []client.Event{e}
		for len(batch) < 512 {
			select {
			case e, ok := <-c.Events():
				if !ok {
					return eventsMsg{t, c, batch}
				}
				batch = append(batch, e)
			default:
				return eventsMsg{t, c, batch}
			}
		}
		return eventsMsg{t, c, batch}
	}
}

// event takes in one of the tab's connection's events.
func (m *model) event(t *tab, e client.Event) {
	if m.rec != nil {
		m.rec.event(t.name, e)
	}
	en := entry{at: e.At, kind: e.Kind, frame: e.Frame, rtt: e.RTT, text: e.Text}
	switch e.Kind {
	case client.Opened:
		t.state, t.openedAt, t.hs, t.backoff = open, e.At, e.Handshake, 0
		en.text = "open " + e.Handshake.URL
		if e.Handshake.Subprotocol != "" {
			en.text += " (" + e.Handshake.Subprotocol + ")"
		}
		for _, x := range m.opts.execute {
			m.sendOn(t, sock.Text(x))
		}
	case client.Refused:
		t.hs = e.Handshake
		en.text = "refused: " + e.Err.Error()
		if e.Handshake.Status != 0 && t == m.tab && m.stepper == nil { // a replay shows its verdicts instead
			m.showHandshake = true
		}
	case client.In:
		if m.stepper != nil && e.Frame.Op != sock.OpPing {
			t.inbox = append(t.inbox, e.Frame)
		}
		switch {
		case e.Frame.Op.IsData():
			t.in++
			t.bytesIn += len(e.Frame.Payload)
		case e.Frame.Op == sock.OpPong && e.RTT > 0:
			t.rtt = e.RTT
		case e.Frame.Op == sock.OpClose:
			t.state = closing
		}
	case client.Out:
		if e.Frame.Op.IsData() && !e.Raw { // a probe's fragments are no message
			t.out++
			t.bytesOut += len(e.Frame.Payload)
		}
		if e.Frame.Op == sock.OpClose && t.state == open {
			t.state = closing
		}
	case client.Closed:
		t.state = closed
		t.ended = closeSummary(t.log)
		if e.Err != nil {
			t.ended = e.Err.Error()
		}
		en.text = "closed: " + t.ended
		if m.rec != nil && m.opts.record != "" {
			m.save(m.opts.record)
		}
	}
	t.log.add(en)
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

// retry schedules the tab's next automatic reconnection, if they are on:
// after half a second, then twice as long each time it fails, up to 30s.
func (m *model) retry(t *tab) tea.Cmd {
	if !m.autoReconnect {
		return nil
	}
	t.backoff = min(max(2*t.backoff, 500*time.Millisecond), 30*time.Second)
	t.note(m.now(), "reconnecting in "+t.backoff.String())
	return tea.Tick(t.backoff, func(time.Time) tea.Msg { return reconnectMsg{t} })
}

// note adds a line of socktui's own to the tab's log.
func (t *tab) note(at time.Time, text string) {
	t.log.add(entry{at: at, kind: client.Note, text: text})
}

// note adds a line of socktui's own to the log shown.
func (m *model) note(text string) { m.tab.note(m.now(), text) }

// timers sends the automatic pings and scheduled messages that are due, on
// every open connection.
func (m *model) timers(now time.Time) {
	for _, t := range m.tabs {
		if t.state != open {
			continue
		}
		if m.autoPing > 0 && now.Sub(t.lastAutoPing) >= m.autoPing {
			t.lastAutoPing = now
			m.sendOn(t, sock.Frame{Op: sock.OpPing, Payload: []byte(now.Format("15:04:05.000"))})
		}
		if m.every > 0 && now.Sub(t.lastEvery) >= m.every {
			t.lastEvery = now
			m.sendOn(t, sock.Text(m.everyMsg))
		}
	}
}

// send sends f on the connection shown.
func (m *model) send(f sock.Frame) { m.sendOn(m.tab, f) }

// sendOn sends f on the tab's connection, noting a failure.
func (m *model) sendOn(t *tab, f sock.Frame) {
	if t.conn == nil || t.state == closed {
		m.status = "not connected: ctrl+r reconnects"
		return
	}
	if err := t.conn.Send(f); err != nil {
		t.note(m.now(), "send failed: "+err.Error())
	}
}

// showTab shows tab number n, from 1.
func (m *model) showTab(n int) {
	if n < 1 || n > len(m.tabs) {
		m.status = "connections are numbered 1 to " + strconv.Itoa(len(m.tabs))
		return
	}
	m.tab = m.tabs[n-1]
}
