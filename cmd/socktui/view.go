package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/sockkit/sockkit/cmd/socktui/internal/client"
	"github.com/sockkit/sockkit/sock"
)

var (
	barStyle      = lipgloss.NewStyle().Reverse(true)
	inStyle       = lipgloss.NewStyle().Foreground(lipgloss.Color("2"))
	outStyle      = lipgloss.NewStyle().Foreground(lipgloss.Color("4"))
	noteStyle     = lipgloss.NewStyle().Foreground(lipgloss.Color("3"))
	selectedStyle = lipgloss.NewStyle().Reverse(true)
	dimStyle      = lipgloss.NewStyle().Faint(true)
)

func (m *model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "socktui " + m.tab.cfg.URL
	return v
}

// render draws the screen: the status bar, the log (or a panel over it),
// the composer and the help line.
func (m *model) render() string {
	var b strings.Builder
	b.WriteString(m.statusBar())
	b.WriteByte('\n')
	switch {
	case m.showHelp:
		b.WriteString(fit(help, m.width, m.logHeight()))
	case m.picking != nil:
		b.WriteString(fit(m.pickPanel(), m.width, m.logHeight()))
	case m.showProbes:
		b.WriteString(fit(probePanel(), m.width, m.logHeight()))
	case m.showHandshake:
		b.WriteString(fit(m.handshakePanel(), m.width, m.logHeight()))
	case m.showDetail:
		b.WriteString(fit(m.detailPanel(), m.width, m.logHeight()))
	default:
		b.WriteString(m.logLines())
	}
	b.WriteByte('\n')
	b.WriteString(m.input.View())
	b.WriteByte('\n')
	b.WriteString(m.helpLine())
	return b.String()
}

// logHeight is how many rows the log gets.
func (m *model) logHeight() int {
	return max(m.height-m.input.Height()-2, 1)
}

// statusBar: state, URL, uptime, counts, RTT.
func (m *model) statusBar() string {
	s := stateNames[m.state]
	if m.state == closed && m.ended != "" {
		s += " (" + m.ended + ")"
	}
	parts := []string{"● " + s, m.tab.cfg.URL}
	if len(m.tabs) > 1 {
		parts[0] = m.tab.name + " " + parts[0]
		var others []string
		for i, t := range m.tabs {
			mark := strconv.Itoa(i+1) + ":" + t.name
			if t == m.tab {
				mark = "[" + mark + "]"
			} else if t.state == closed {
				mark += "✗"
			}
			others = append(others, mark)
		}
		parts = append([]string{strings.Join(others, " ")}, parts...)
	}
	if m.state == open || m.state == closing {
		parts = append(parts, "up "+m.now().Sub(m.openedAt).Truncate(time.Second).String())
	}
	parts = append(parts, fmt.Sprintf("↑ %d msgs %s", m.out, size(m.bytesOut)), fmt.Sprintf("↓ %d msgs %s", m.in, size(m.bytesIn)))
	if m.rtt > 0 {
		parts = append(parts, "rtt "+m.rtt.Round(10*time.Microsecond).String())
	}
	if m.rec != nil {
		parts = append(parts, "● rec")
	}
	line := " " + strings.Join(parts, "  ")
	return barStyle.Render(ansi.Truncate(line, m.width, "…") + strings.Repeat(" ", max(m.width-ansi.StringWidth(line), 0)))
}

// visible returns the log's rows the filter shows, as indices into the log,
// and puts the selection back on the entry selected, which moves as the
// oldest entries leave a full log.
func (m *model) visible() []int {
	rows := make([]int, 0, m.log.len())
	for i := range m.log.len() {
		e := m.log.at(i)
		if (m.onlyDir == 0 || e.kind == m.onlyDir) && (m.onlyOps == nil || slices.Contains(m.onlyOps, e.frame.Op) && e.kind != client.Note) {
			rows = append(rows, i)
		}
	}
	if !m.follow {
		dropped := m.log.dropped()
		m.selected, _ = slices.BinarySearchFunc(rows, m.selSeq, func(row, seq int) int { return dropped + row - seq })
	}
	return rows
}

// pin remembers which entry is selected, by its place since the log began.
func (m *model) pin(rows []int) {
	if m.selected >= 0 && m.selected < len(rows) {
		m.selSeq = m.log.dropped() + rows[m.selected]
	}
}

func (m *model) selectedEntry(rows []int) *entry {
	if m.selected < 0 || m.selected >= len(rows) {
		return nil
	}
	return m.log.at(rows[m.selected])
}

// logLines draws the rows that fit, following the newest unless the user
// scrolled up: only what shows is formatted.
func (m *model) logLines() string {
	rows := m.visible()
	h := m.logHeight()
	if m.follow || m.selected >= len(rows) {
		m.selected = max(len(rows)-1, 0)
	}
	top := max(min(m.selected-h/2, len(rows)-h), 0)
	if m.follow {
		top = max(len(rows)-h, 0)
	}
	lines := make([]string, 0, h)
	for i := top; i < len(rows) && len(lines) < h; i++ {
		line := m.row(m.log.at(rows[i]))
		if m.focus == logView && i == m.selected {
			line = selectedStyle.Render(ansi.Strip(line))
		}
		lines = append(lines, line)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// row formats one entry: time, direction, opcode, size, preview.
func (m *model) row(e *entry) string {
	at := e.at.Format("15:04:05.000")
	if m.relative && !m.openedAt.IsZero() {
		d := e.at.Sub(m.openedAt).Round(time.Millisecond)
		sign := "+"
		if d < 0 {
			sign, d = "-", -d
		}
		at = fmt.Sprintf("%12s", sign+d.String())
	}
	var dir, what string
	style := noteStyle
	switch e.kind {
	case client.In:
		dir, style = "↓", inStyle
	case client.Out:
		dir, style = "↑", outStyle
	default:
		dir = "•"
	}
	if e.kind == client.In || e.kind == client.Out {
		op := e.frame.Op.String()
		if e.frame.Op == sock.OpContinuation {
			op = "cont"
		}
		what = fmt.Sprintf("%-6s %7s ", op, size(len(e.frame.Payload)))
	}
	head := fmt.Sprintf("%s %s %s", at, dir, what)
	rest := e.preview(max(m.width-ansi.StringWidth(head), 1))
	if e.rtt > 0 {
		rest += dimStyle.Render(" rtt " + e.rtt.Round(10*time.Microsecond).String())
	}
	return ansi.Truncate(style.Render(head)+rest, m.width, "…")
}

// preview is the entry on one line of at most width cells; only the part
// that shows is looked at, whatever the payload's size.
func (e *entry) preview(width int) string {
	if e.kind != client.In && e.kind != client.Out {
		return ansi.Truncate(sanitize(e.text), width, "…")
	}
	p := e.frame.Payload
	var s string
	switch e.frame.Op {
	case sock.OpText, sock.OpContinuation:
		shown := p[:min(len(p), 4*width)]
		for i := 0; i < utf8.UTFMax-1 && len(shown) < len(p) && !utf8.Valid(shown); i++ {
			shown = shown[:len(shown)-1] // a character cut at the end
		}
		s = sanitize(string(shown))
		if !utf8.Valid(shown) {
			s = "(not UTF-8) " + strconv.Quote(string(p[:min(len(p), width)]))
		}
	case sock.OpClose:
		s = e.frame.String()
	case sock.OpPing, sock.OpPong:
		if printable(p) {
			s = strconv.Quote(string(p))
			break
		}
		fallthrough
	default:
		s = hex.EncodeToString(p[:min(len(p), width/2+1)])
	}
	return ansi.Truncate(s, width, "…")
}

// sanitize makes text one line of what a terminal shows as it is: line
// breaks as ⏎, other control characters (escape sequences from a server
// among them) as ·.
func sanitize(text string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return '⏎'
		case r == '\t':
			return ' '
		case r == '\r':
			return -1
		case unicode.IsControl(r):
			return '·'
		}
		return r
	}, text)
}

// printable reports whether p is text with no control characters.
func printable(p []byte) bool {
	return utf8.Valid(p) && !strings.ContainsFunc(string(p), unicode.IsControl)
}

// detailPanel shows the selected entry whole — JSON indented, text raw,
// binary as a hex dump — up to 64 KiB; formatted once, not at every frame.
func (m *model) detailPanel() string {
	rows := m.visible()
	e := m.selectedEntry(rows)
	if e == nil {
		return "nothing selected: tab to the log, then up and down"
	}
	key := detailKey{m.tab, m.log.dropped() + rows[m.selected]}
	if m.detail.key != key {
		m.detail = detail{key, formatDetail(e)}
	}
	return m.detail.text
}

// detail is the detail pane's text, and the entry it shows.
type detail struct {
	key  detailKey
	text string
}

type detailKey struct {
	tab *tab
	seq int // the entry's place since the log began
}

// detailLimit bounds what the detail pane shows of a payload.
const detailLimit = 64 << 10

func formatDetail(e *entry) string {
	if e.kind != client.In && e.kind != client.Out {
		return fmt.Sprintf("%s %s (esc closes, c copies)\n\n%s", e.at.Format("15:04:05.000"), e.kind, e.text)
	}
	p := e.frame.Payload
	head := fmt.Sprintf("%s %s, %d bytes (esc closes, c copies)\n\n", e.at.Format("15:04:05.000"), e.frame.Op, len(p))
	if len(p) > detailLimit {
		head += fmt.Sprintf("the first %d bytes; /saveframe PATH writes them all\n\n", detailLimit)
		p = p[:detailLimit]
	}
	switch {
	case e.frame.Op == sock.OpText && len(p) == len(e.frame.Payload) && json.Valid(p):
		var b bytes.Buffer
		json.Indent(&b, p, "", "  ")
		return head + b.String()
	case e.frame.Op == sock.OpText && utf8.Valid(p):
		return head + strings.ReplaceAll(string(p), "\x1b", "·")
	case e.frame.Op == sock.OpClose:
		return head + e.frame.String()
	}
	return head + hex.Dump(p)
}

// pickPanel lists what the user may choose, each on one line.
func (m *model) pickPanel() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: press a number to edit one before sending (esc closes)\n\n", m.pickWhat)
	for i, p := range m.picking {
		text := strings.ReplaceAll(p.text, "\n", "⏎")
		if p.label != "" {
			text = p.label + ": " + text
		}
		fmt.Fprintf(&b, "  %d  %s\n", i+1, text)
	}
	return b.String()
}

// handshakePanel shows the opening handshake: the request's headers, the
// status, the response's headers, the subprotocol and extensions; a
// refusal's body.
func (m *model) handshakePanel() string {
	h := m.hs
	if h == nil {
		return "no handshake yet"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s   (ctrl+o or esc closes)\n", h.URL)
	writeHeader(&b, h.RequestHeader)
	fmt.Fprintf(&b, "\nstatus %d %s\n", h.Status, http.StatusText(h.Status))
	writeHeader(&b, h.Header)
	if h.Status == 101 {
		fmt.Fprintf(&b, "\nsubprotocol: %q   extensions: %q\n", h.Subprotocol, h.Extensions)
	}
	if h.Body != "" {
		fmt.Fprintf(&b, "\n%s\n", h.Body)
	}
	return b.String()
}

func writeHeader(b *strings.Builder, h map[string][]string) {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range h[name] {
			fmt.Fprintf(b, "  %s: %s\n", name, v)
		}
	}
}

// helpLine is the keys that matter most, on one line.
func (m *model) helpLine() string {
	keys := "enter send · alt+enter newline · tab log · f2 binary · f3 snippets · f4 probes · ctrl+o handshake · ctrl+r reconnect · f1 help · ctrl+c quit"
	if m.focus == logView {
		keys = "↑↓ select · enter detail · c copy · n/N next match · end follow · tab composer · ? help · ctrl+c quit"
	}
	if m.status != "" {
		keys = m.status
	}
	return dimStyle.Render(ansi.Truncate(keys, m.width, "…"))
}

// help is the help overlay.
const help = `socktui keys                                        (f1, ? or esc closes)

  enter        send the message, or run the /command
  alt+enter    new line in the message
  up, down     history (in a one-line message)
  tab          switch between the composer and the log
  in the log:  up/down/pgup/pgdn/home/end select, enter shows the whole
               frame, c copies it, n/N next/previous match, end follows
  f2           binary messages (hex, or b64:…) / text messages
  f3           snippets: saved messages, edited before sending
  f4           robustness probes: invalid UTF-8, oversize, fragments, bad closes…
  f6           relative/absolute times          ctrl+o  the handshake
  ctrl+r, f5   reconnect          ctrl+l  clear the log
  f7           another connection to the same URL (/connect [URL] to another); alt+1…9 shows one
  f8           the next step of the scenario /replay FILE loaded, its expectations beside what came
  ctrl+s       save the recording ctrl+c  quit
  the composer edits as readline does: ctrl+a/e, ctrl+b/f, ctrl+k/u, ctrl+w, alt+b/f

commands
  /ping [data]  /pong [data]  /close [code [reason]]  /binary HEX|b64:...
  /file PATH    /probe [N [size]]   /drop (no close frame)   /pings on|off   /reading on|off
  /autoping 5s|off   /every 5s MESSAGE|off   /find TEXT|/REGEXP/   /saveframe PATH
  /only in|out|all and text|binary|ping|pong|close
  /snippets  /snippet NAME (saves the last message)  /history TEXT (finds one)
  /replay FILE  /connect [URL]  /record  /save [FILE]  /reconnect  /autoreconnect on|off  /clear  /quit
  //text sends "/text"`

// fit cuts or pads s to width and height.
func fit(s string, width, height int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, width, "…")
	}
	for len(lines) < height {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// size formats n bytes.
func size(n int) string {
	switch {
	case n < 1<<10:
		return strconv.Itoa(n) + "B"
	case n < 1<<20:
		return fmt.Sprintf("%.1fKiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
}
