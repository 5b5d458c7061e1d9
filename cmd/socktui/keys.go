package main

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/sockkit/sockkit/cmd/socktui/internal/client"
	"github.com/sockkit/sockkit/internal/wsurl"
	"github.com/sockkit/sockkit/sock"
)

// key handles a key press.
func (m *model) key(k tea.KeyPressMsg) tea.Cmd {
	m.status = ""
	switch k.String() {
	case "ctrl+c", "ctrl+q":
		return m.quit()
	case "f1":
		m.showHelp = !m.showHelp
		return nil
	case "esc":
		m.showHelp, m.showDetail, m.showHandshake, m.showProbes, m.picking = false, false, false, false, nil
		return nil
	case "f4":
		m.showProbes = !m.showProbes
		return nil
	case "f3":
		m.pickSnippet()
		return nil
	case "f2":
		m.binary = !m.binary
		m.input.Prompt = map[bool]string{false: "> ", true: "0x> "}[m.binary]
		m.input.SetWidth(max(m.width, 10))
		m.status = map[bool]string{false: "text messages", true: "binary messages: hex digits, or b64: and base64"}[m.binary]
		return nil
	case "tab":
		m.focus = 1 - m.focus
		if m.focus == composer {
			return m.input.Focus()
		}
		m.input.Blur()
		m.selected = max(len(m.visible())-1, 0)
		return nil
	case "ctrl+r", "f5":
		return m.reconnect()
	case "f8":
		return m.stepNext()
	case "f7":
		return m.dial(m.addTab(m.tab.cfg))
	case "ctrl+o":
		m.showHandshake = !m.showHandshake
		return nil
	case "f6":
		m.relative = !m.relative
		return nil
	case "ctrl+l":
		m.log.clear()
		m.selected = 0
		return nil
	case "ctrl+s":
		m.save(m.recordPath())
		return nil
	}
	if m.picking != nil {
		if n, err := strconv.Atoi(k.String()); err == nil && n >= 1 && n <= len(m.picking) {
			m.input.SetValue(m.picking[n-1].text)
			m.fitInput()
			m.picking = nil
			m.focus = composer
			return m.input.Focus()
		}
		return nil
	}
	if m.showProbes {
		if n, err := strconv.Atoi(k.String()); err == nil {
			m.showProbes = false
			m.runProbe(n, "")
		}
		return nil
	}
	if n, ok := strings.CutPrefix(k.String(), "alt+"); ok && len(n) == 1 && n[0] >= '1' && n[0] <= '9' {
		m.showTab(int(n[0] - '0'))
		return nil
	}
	if m.focus == logView {
		return m.logKey(k)
	}
	return m.composerKey(k)
}

// composerKey handles a key while the composer has the focus.
func (m *model) composerKey(k tea.KeyPressMsg) tea.Cmd {
	single := !strings.Contains(m.input.Value(), "\n")
	switch k.String() {
	case "enter":
		text := m.input.Value()
		if strings.TrimSpace(text) == "" {
			return nil
		}
		m.input.Reset()
		m.fitInput()
		m.remember(text)
		return m.submit(text)
	case "up":
		if single && len(m.history) > 0 {
			m.histAt = max(m.histAt-1, 0)
			m.input.SetValue(m.history[m.histAt])
			return nil
		}
	case "down":
		if single && m.histAt < len(m.history) {
			m.histAt++
			if m.histAt == len(m.history) {
				m.input.Reset()
			} else {
				m.input.SetValue(m.history[m.histAt])
			}
			return nil
		}
	case "pgup", "pgdown":
		return m.logKey(k)
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(k)
	m.fitInput()
	return cmd
}

// remember adds text to the history, once, and keeps the history.
func (m *model) remember(text string) {
	if n := len(m.history); n == 0 || m.history[n-1] != text {
		m.history = append(m.history, text)
		if err := m.store.saveHistory(m.history); err != nil {
			m.status = "history: " + err.Error()
		}
	}
	m.histAt = len(m.history)
}

// pickSnippet lists the snippets to choose from.
func (m *model) pickSnippet() {
	if len(m.snippets) == 0 {
		m.status = "no snippets yet: /snippet NAME saves the last message sent as one"
		return
	}
	m.picking, m.pickWhat = nil, "snippets, from "+m.store.snippets
	for _, s := range m.snippets[:min(len(m.snippets), 9)] {
		m.picking = append(m.picking, pick{s.name, s.text})
	}
}

// pickHistory lists the latest messages sent that contain text.
func (m *model) pickHistory(text string) {
	m.picking, m.pickWhat = nil, "messages sent that contain "+strconv.Quote(text)
	for i := len(m.history) - 1; i >= 0 && len(m.picking) < 9; i-- {
		if strings.Contains(m.history[i], text) && !strings.HasPrefix(m.history[i], "/history ") {
			m.picking = append(m.picking, pick{"", m.history[i]})
		}
	}
	if len(m.picking) == 0 {
		m.picking, m.status = nil, "no message sent contains "+strconv.Quote(text)
	}
}

// saveSnippet saves the last message sent as the snippet name.
func (m *model) saveSnippet(name string) {
	last := ""
	for i := len(m.history) - 1; i >= 0 && last == ""; i-- {
		if h := m.history[i]; !strings.HasPrefix(h, "/") || strings.HasPrefix(h, "//") {
			last = h
		}
	}
	switch {
	case name == "" || last == "":
		m.status = "/snippet NAME saves the last message sent"
		return
	case strings.HasPrefix(last, "## ") || strings.Contains(last, "\n## "):
		m.status = "a line starting with \"## \" would start another snippet in the file: not saved"
		return
	}
	i := slices.IndexFunc(m.snippets, func(s snippet) bool { return s.name == name })
	if i < 0 {
		m.snippets = append(m.snippets, snippet{name: name})
		i = len(m.snippets) - 1
	}
	m.snippets[i].text = last
	if err := m.store.saveSnippets(m.snippets); err != nil {
		m.status = "snippets: " + err.Error()
		return
	}
	m.status = "saved as " + strconv.Quote(name) + " in " + m.store.snippets
}

// logKey handles a key while the log has the focus.
func (m *model) logKey(k tea.KeyPressMsg) tea.Cmd {
	rows := m.visible()
	page := max(m.logHeight()-1, 1)
	switch k.String() {
	case "?":
		m.showHelp = !m.showHelp
	case "up", "k":
		m.selected, m.follow = max(m.selected-1, 0), false
	case "down", "j":
		m.selected = min(m.selected+1, max(len(rows)-1, 0))
		m.follow = m.selected == len(rows)-1
	case "pgup":
		m.selected, m.follow = max(m.selected-page, 0), false
	case "pgdown":
		m.selected = min(m.selected+page, max(len(rows)-1, 0))
		m.follow = m.selected == len(rows)-1
	case "home", "g":
		m.selected, m.follow = 0, false
	case "end", "G":
		m.selected, m.follow = max(len(rows)-1, 0), true
	case "enter":
		m.showDetail = !m.showDetail
	case "n", "N":
		m.findNext(rows, k.String() == "n")
	case "c":
		if e := m.selectedEntry(rows); e != nil {
			text := string(e.frame.Payload)
			if e.kind != client.In && e.kind != client.Out {
				text = e.text
			}
			m.status = fmt.Sprintf("copied %d bytes", len(text))
			return tea.SetClipboard(text)
		}
	}
	m.pin(rows)
	return nil
}

// quit ends socktui, closing every connection first.
func (m *model) quit() tea.Cmd {
	for _, t := range m.tabs {
		if t.conn != nil && t.state == open {
			t.conn.Close(sock.CloseGoingAway, "")
		}
	}
	if m.rec != nil && m.opts.record != "" {
		m.save(m.opts.record)
	}
	return tea.Quit
}

// reconnect opens a new connection, keeping the log, the history and the
// composer, and sends the on-connect messages again.
func (m *model) reconnect() tea.Cmd {
	m.note("reconnecting")
	return m.dial(m.tab)
}

// recordPath is where ctrl+s saves the recording.
func (m *model) recordPath() string {
	if m.opts.record != "" {
		return m.opts.record
	}
	return "session.scenario"
}

// submit sends what the user typed: a message, or a slash command ("//"
// sends a message starting with "/").
func (m *model) submit(text string) tea.Cmd {
	if !strings.HasPrefix(text, "/") || strings.HasPrefix(text, "//") {
		text = strings.TrimPrefix(text, "/")
		if !m.binary {
			m.send(sock.Text(text))
			return nil
		}
		b, err := decodeBinary(text)
		if err != nil {
			m.status = err.Error()
			return nil
		}
		m.send(sock.Binary(b))
		return nil
	}
	name, arg, _ := strings.Cut(strings.TrimPrefix(text, "/"), " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case "ping", "pong":
		op := map[string]sock.Opcode{"ping": sock.OpPing, "pong": sock.OpPong}[name]
		if len(arg) > 125 {
			m.status = "a control frame holds 125 bytes at most"
			return nil
		}
		m.send(sock.Frame{Op: op, Payload: []byte(arg)})
	case "close":
		m.closeCommand(arg)
	case "binary":
		b, err := decodeBinary(arg)
		if err != nil {
			m.status = err.Error()
			return nil
		}
		m.send(sock.Binary(b))
	case "file":
		b, err := os.ReadFile(arg)
		if err != nil {
			m.status = err.Error()
			return nil
		}
		m.send(sock.Binary(b))
	case "replay":
		m.loadReplay(arg)
	case "snippets":
		m.pickSnippet()
	case "snippet":
		m.saveSnippet(arg)
	case "history":
		m.pickHistory(arg)
	case "probe":
		number, rest, _ := strings.Cut(arg, " ")
		n, err := strconv.Atoi(number)
		if err != nil {
			m.showProbes = true
			return nil
		}
		m.runProbe(n, strings.TrimSpace(rest))
	case "drop":
		if m.conn != nil {
			m.note("dropping the connection without a close frame")
			m.conn.Drop()
		}
	case "pings":
		m.answerPings = arg != "off"
		if m.conn != nil {
			m.conn.AnswerPings(m.answerPings)
		}
		m.status = "answering pings: " + strconv.FormatBool(m.answerPings)
	case "reading":
		m.paused = arg == "off"
		if m.conn != nil {
			m.conn.Reading(!m.paused)
		}
		m.status = "reading: " + strconv.FormatBool(!m.paused)
	case "autoping":
		return m.durationCommand(arg, func(d time.Duration) { m.autoPing = d }, "auto ping")
	case "every":
		every, msg, _ := strings.Cut(arg, " ")
		m.everyMsg = msg
		return m.durationCommand(every, func(d time.Duration) { m.every = d }, "sending "+strconv.Quote(msg))
	case "find":
		m.findCommand(arg)
	case "only":
		m.onlyCommand(arg)
	case "saveframe":
		m.saveFrame(arg)
	case "record":
		m.rec = newRecorder(m.opts.mask)
		for _, t := range m.tabs {
			if u, err := wsurl.Parse(t.cfg.URL); err == nil && t.hs != nil && t.state == open {
				m.rec.connect(t.name, m.now(), u, t.cfg.Header, t.cfg.Subprotocols)
				m.rec.event(t.name, client.Event{At: m.now(), Kind: client.Opened, Handshake: t.hs})
			}
		}
		m.status = "recording from now: ctrl+s or /save FILE writes it"
	case "save":
		path := arg
		if path == "" {
			path = m.recordPath()
		}
		m.save(path)
	case "reconnect":
		return m.reconnect()
	case "connect":
		cfg := m.tab.cfg
		if arg != "" {
			u, err := m.resolve(arg)
			if err != nil {
				m.status = err.Error()
				return nil
			}
			cfg.URL = u
		}
		return m.dial(m.addTab(cfg))
	case "autoreconnect":
		m.autoReconnect = arg != "off"
		m.status = "automatic reconnection: " + strconv.FormatBool(m.autoReconnect)
		if m.autoReconnect && m.state == closed {
			return m.retry(m.tab)
		}
	case "clear":
		m.log.clear()
	case "help":
		m.showHelp = true
	case "quit", "q":
		return m.quit()
	default:
		m.status = fmt.Sprintf("no command /%s: /help lists them", name)
	}
	return nil
}

// closeCommand sends "/close [code [reason]]".
func (m *model) closeCommand(arg string) {
	if arg == "" {
		m.send(sock.Frame{Op: sock.OpClose})
		return
	}
	codeText, reason, _ := strings.Cut(arg, " ")
	code, err := strconv.ParseUint(codeText, 10, 16)
	if err != nil {
		m.status = "/close [code [reason]]: the code is a number"
		return
	}
	// Any code and length: socktui pokes servers with what they must refuse.
	m.send(sock.Frame{Op: sock.OpClose, Payload: append([]byte{byte(code >> 8), byte(code)}, reason...)})
}

// durationCommand sets a period from "5s", or stops it with "off".
func (m *model) durationCommand(arg string, set func(time.Duration), what string) tea.Cmd {
	if arg == "off" || arg == "" {
		set(0)
		m.status = what + ": off"
		return nil
	}
	d, err := time.ParseDuration(arg)
	if err != nil || d < 100*time.Millisecond {
		m.status = "a period such as 5s, at least 100ms, or off"
		return nil
	}
	set(d)
	m.status = what + " every " + d.String()
	return nil
}

// findCommand sets the search: "/find text" or "/find /regexp/".
func (m *model) findCommand(arg string) {
	if arg == "" {
		m.search = nil
		return
	}
	expr := regexp.QuoteMeta(arg)
	if len(arg) > 1 && strings.HasPrefix(arg, "/") && strings.HasSuffix(arg, "/") {
		expr = arg[1 : len(arg)-1]
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		m.status = err.Error()
		return
	}
	m.search = re
	m.focus = logView
	m.input.Blur()
	m.findNext(m.visible(), false)
}

// findNext selects the next (or previous) row the search matches.
func (m *model) findNext(rows []int, forward bool) {
	if m.search == nil || len(rows) == 0 {
		return
	}
	for step := 1; step <= len(rows); step++ {
		i := m.selected - step
		if forward {
			i = m.selected + step
		}
		i = (i%len(rows) + len(rows)) % len(rows)
		if m.search.MatchString(m.log.at(rows[i]).preview(1 << 20)) {
			m.selected, m.follow = i, false
			m.pin(rows)
			return
		}
	}
	m.status = "no match"
}

// onlyCommand sets the log's filter: "/only in", "/only out", "/only text
// binary", "/only all"; directions and opcodes combine.
func (m *model) onlyCommand(arg string) {
	m.onlyDir, m.onlyOps = 0, nil
	for _, word := range strings.Fields(arg) {
		switch word {
		case "in":
			m.onlyDir = client.In
		case "out":
			m.onlyDir = client.Out
		case "all":
		case "text", "binary", "ping", "pong", "close":
			m.onlyOps = append(m.onlyOps, map[string]sock.Opcode{"text": sock.OpText, "binary": sock.OpBinary,
				"ping": sock.OpPing, "pong": sock.OpPong, "close": sock.OpClose}[word])
		default:
			m.status = "/only in|out|all and text|binary|ping|pong|close"
			return
		}
	}
	m.status = "showing " + strings.Join(strings.Fields(arg), " ")
	if arg == "" || arg == "all" {
		m.status = "showing everything"
	}
}

// saveFrame writes the payload of the frame selected in the log to path.
func (m *model) saveFrame(path string) {
	e := m.selectedEntry(m.visible())
	switch {
	case path == "":
		m.status = "/saveframe PATH writes the selected frame's payload"
	case e == nil || (e.kind != client.In && e.kind != client.Out):
		m.status = "select a frame in the log first (tab, then up and down)"
	default:
		if err := os.WriteFile(path, e.frame.Payload, 0o644); err != nil {
			m.status = err.Error()
			return
		}
		m.status = fmt.Sprintf("wrote %d bytes to %s", len(e.frame.Payload), path)
	}
}

// resolve returns the URL "/connect" was given: a whole one, or a path
// ("/clock?tz=UTC") on the server of the connection shown.
func (m *model) resolve(arg string) (string, error) {
	if !strings.HasPrefix(arg, "/") {
		u, err := wsurl.Parse(arg)
		if err != nil {
			return "", err
		}
		return u.String(), nil
	}
	base, err := wsurl.Parse(m.tab.cfg.URL)
	if err != nil {
		return "", err
	}
	ref, err := url.Parse(arg)
	if err != nil {
		return "", err
	}
	return base.ResolveReference(ref).String(), nil
}

// decodeBinary reads "/binary" input: hex digits, or base64 after "b64:".
func decodeBinary(s string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(s, "b64:"); ok {
		return base64.StdEncoding.DecodeString(rest)
	}
	b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimPrefix(s, "0x"), " ", ""))
	if err != nil {
		return nil, fmt.Errorf("binary messages are hex digits, or b64: and base64")
	}
	return b, nil
}
