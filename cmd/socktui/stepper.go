package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/sockkit/sockkit/scenarios"
	"github.com/sockkit/sockkit/sock"
)

// stepper steps through a scenario file against the live server, a step
// each time the user presses f8: connections open as tabs named as in the
// file, sends are sent, and each expectation is shown beside what came —
// the recording against the server as it is now.
type stepper struct {
	file    string
	steps   []scenarios.Step
	next    int
	tabs    map[string]*tab // the file's connections
	waiting scenarios.Step  // an expectation waiting for its frame, or nil
	since   time.Time       // when it started to wait
	passed  int
	failed  int
}

// expectWait bounds how long an expectation waits for its frame.
const expectWait = 2 * time.Second

// stepMsg says a stepper's wait may be over.
type stepMsg struct{}

// loadReplay starts stepping through the scenario at path.
func (m *model) loadReplay(path string) {
	s, err := scenarios.ReadFile(path)
	if err != nil {
		m.status = err.Error()
		return
	}
	m.stepper = &stepper{file: path, steps: s.Steps(), tabs: map[string]*tab{}}
	m.note(fmt.Sprintf("replaying %s, %d steps: f8 takes the next", path, len(m.stepper.steps)))
}

// stepNext takes the stepper's next step, unless one is waiting.
func (m *model) stepNext() tea.Cmd {
	st := m.stepper
	switch {
	case st == nil:
		m.status = "/replay FILE steps through a scenario"
		return nil
	case st.waiting != nil:
		m.status = "waiting for " + st.waiting.String()
		return nil
	case st.next == len(st.steps):
		m.status = fmt.Sprintf("replay over: %d expectations met, %d not", st.passed, st.failed)
		return nil
	}
	step := st.steps[st.next]
	st.next++
	switch s := step.(type) {
	case scenarios.Connect:
		return m.stepConnect(s)
	case scenarios.Send:
		if t := st.tabs[s.Conn]; t != nil {
			t.note(m.now(), "step: "+s.String())
			m.sendOn(t, s.Frame)
		}
		return nil
	case scenarios.ExpectAccepted, scenarios.ExpectRefused, scenarios.ExpectFrame, scenarios.ExpectMatch, scenarios.ExpectJSON:
		st.waiting, st.since = step, m.now()
		m.checkWaiting()
		return tea.Tick(expectWait, func(time.Time) tea.Msg { return stepMsg{} })
	case scenarios.Advance:
		m.note("step: " + s.String() + " (time passes by itself here)")
		return nil
	}
	m.note("step skipped, it needs the server in the process: " + step.String())
	return nil
}

// stepConnect opens a tab for a connect step, on the server of the
// connection shown.
func (m *model) stepConnect(s scenarios.Connect) tea.Cmd {
	target := s.Target
	if target == "" {
		target = "/"
	}
	u, err := m.resolve(target)
	if err != nil {
		m.status = err.Error()
		return nil
	}
	header, err := s.Headers()
	if err != nil {
		m.status = err.Error()
		return nil
	}
	cfg := m.cfg
	cfg.URL, cfg.Header = u, header
	t := m.addTab(cfg)
	if !slices.ContainsFunc(m.tabs, func(o *tab) bool { return o.name == s.Conn }) {
		t.name = s.Conn // as the file names it
	}
	m.stepper.tabs[s.Conn] = t
	t.note(m.now(), "step: "+strings.SplitN(s.String(), "\n", 2)[0])
	return m.dial(t)
}

// checkWaiting settles the waiting expectation if what it waits for has
// come, or if it has waited long enough.
func (m *model) checkWaiting() {
	st := m.stepper
	if st == nil || st.waiting == nil {
		return
	}
	step := st.waiting
	name, _, _ := strings.Cut(step.String(), " ")
	t := st.tabs[name]
	if t == nil {
		m.settle(false, "no connection named "+name)
		return
	}
	timedOut := m.now().Sub(st.since) >= expectWait
	switch s := step.(type) {
	case scenarios.ExpectAccepted:
		if t.state == connecting {
			if timedOut {
				m.settle(false, "still connecting")
			}
			return
		}
		got := "refused"
		if t.hs != nil && t.hs.Status == http.StatusSwitchingProtocols {
			got = fmt.Sprintf("accepted %q", t.hs.Subprotocol)
		}
		m.settle(got == fmt.Sprintf("accepted %q", s.Subprotocol), got)
	case scenarios.ExpectRefused:
		if t.state == connecting {
			if timedOut {
				m.settle(false, "still connecting")
			}
			return
		}
		if t.hs == nil || t.hs.Status == http.StatusSwitchingProtocols {
			m.settle(false, "accepted")
			return
		}
		m.settle(t.hs.Status == s.Status && (!s.HasBody || t.hs.Body == s.Body), fmt.Sprintf("refused %d %q", t.hs.Status, t.hs.Body))
	default:
		m.checkFrame(t, step, timedOut)
	}
}

// checkFrame settles an expectation of a frame with the next frame of its
// kind the tab received since the replay began.
func (m *model) checkFrame(t *tab, step scenarios.Step, timedOut bool) {
	kind := func(op sock.Opcode) bool { return op.IsData() }
	var match func(sock.Frame) bool
	switch s := step.(type) {
	case scenarios.ExpectFrame:
		match = s.Match
		if op := s.Frame.Op; !op.IsData() {
			kind = func(got sock.Opcode) bool { return got == op }
		}
	case scenarios.ExpectMatch:
		match = s.Match
	case scenarios.ExpectJSON:
		match = s.Match
	}
	for i, f := range t.inbox {
		if kind(f.Op) {
			t.inbox = append(t.inbox[:i:i], t.inbox[i+1:]...)
			m.settle(match(f), f.String())
			return
		}
	}
	if timedOut {
		m.settle(false, "nothing came")
	}
}

// settle ends the waiting expectation, noting it met or not, and what came.
func (m *model) settle(ok bool, got string) {
	st := m.stepper
	mark := "✓"
	if ok {
		st.passed++
	} else {
		st.failed++
		mark = "✗"
	}
	name, _, _ := strings.Cut(st.waiting.String(), " ")
	t := st.tabs[name]
	if t == nil {
		t = m.tab
	}
	t.note(m.now(), fmt.Sprintf("%s %s — got %s", mark, st.waiting, got))
	st.waiting = nil
	if st.next == len(st.steps) {
		m.status = fmt.Sprintf("replay of %s over: %d expectations met, %d not", st.file, st.passed, st.failed)
		m.note(m.status)
	}
}
