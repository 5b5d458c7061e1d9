package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// store is what socktui remembers of an endpoint, in plain files: the
// history of what was sent, under the user's configuration directory, one
// quoted message a line; and the snippets, saved messages kept in the
// working directory's .socktui/ so that a project can commit them, in a
// file a person can edit:
//
//	## join
//	{"type":"join","room":"lobby"}
//	## two lines
//	first
//	second
type store struct {
	history  string // path of the history file, "" when there is no config directory
	snippets string // path of the snippets file
}

// snippet is a saved message.
type snippet struct {
	name, text string
}

// historyLimit bounds the history file.
const historyLimit = 1000

// newStore returns the store of the endpoint at u; host, if set, stands
// for u's host and port (the demo server's port changes from run to run).
func newStore(u *url.URL, host string) store {
	if host != "" {
		v := *u
		v.Host = host
		u = &v
	}
	key := endpointKey(u)
	s := store{snippets: filepath.Join(".socktui", key+".snippets")}
	if dir, err := os.UserConfigDir(); err == nil {
		s.history = filepath.Join(dir, "socktui", "history", key+".txt")
	}
	return s
}

// endpointKey names an endpoint in file names: host, port and path.
func endpointKey(u *url.URL) string {
	return strings.Trim(unsafeChars.ReplaceAllString(u.Host+u.Path, "_"), "_")
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// loadHistory returns the history, oldest first; none if there is no file.
func (s store) loadHistory() ([]string, error) {
	if s.history == "" {
		return nil, nil
	}
	f, err := os.Open(s.history)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var h []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if entry, err := strconv.Unquote(sc.Text()); err == nil {
			h = append(h, entry)
		}
	}
	return h, sc.Err()
}

// saveHistory writes the last historyLimit entries of h.
func (s store) saveHistory(h []string) error {
	if s.history == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(s.history), 0o700); err != nil {
		return err
	}
	var b strings.Builder
	for _, entry := range h[max(len(h)-historyLimit, 0):] {
		b.WriteString(strconv.Quote(entry))
		b.WriteByte('\n')
	}
	return os.WriteFile(s.history, []byte(b.String()), 0o600)
}

// loadSnippets returns the snippets; none if there is no file.
func (s store) loadSnippets() ([]snippet, error) {
	text, err := os.ReadFile(s.snippets)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return parseSnippets(string(text))
}

// parseSnippets reads the snippets file: "## name" starts a snippet, the
// lines up to the next one are its message, blank lines at its ends aside;
// lines before the first are comments.
func parseSnippets(text string) ([]snippet, error) {
	var list []snippet
	for i, line := range strings.Split(text, "\n") {
		if name, ok := strings.CutPrefix(line, "## "); ok {
			if strings.TrimSpace(name) == "" {
				return nil, fmt.Errorf("line %d: a snippet needs a name after ##", i+1)
			}
			list = append(list, snippet{name: strings.TrimSpace(name)})
			continue
		}
		if n := len(list); n > 0 {
			if list[n-1].text != "" || line != "" {
				list[n-1].text += line + "\n"
			}
		}
	}
	for i := range list { // the blank lines before the next snippet are not the message's
		list[i].text = strings.TrimRight(list[i].text, "\n")
	}
	return list, nil
}

// saveSnippets writes the snippets.
func (s store) saveSnippets(list []snippet) error {
	if err := os.MkdirAll(filepath.Dir(s.snippets), 0o755); err != nil {
		return err
	}
	var b strings.Builder
	for _, sn := range list {
		fmt.Fprintf(&b, "## %s\n%s\n", sn.name, sn.text)
	}
	return os.WriteFile(s.snippets, []byte(b.String()), 0o644)
}
