package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	tea "charm.land/bubbletea/v2"

	"github.com/sockkit/sockkit/cmd/socktui/internal/client"
)

// interactive runs the terminal interface until the user quits, and
// returns the exit status.
func interactive(ctx context.Context, cfg client.Config, o *options, d *demo) int {
	if o.record != "" { // a recording that cannot be written is better known now
		if err := os.WriteFile(o.record, nil, 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "socktui: --record:", err)
			return 2
		}
	}
	m := newModel(ctx, cfg, o)
	if d != nil {
		m.note("demo server at " + d.URL + ": /echo echoes, /clock pushes the time every second, /chat?nick=NAME is a chat (f7 or /connect /chat?nick=bob for a second user)")
	}
	_, err := tea.NewProgram(m, tea.WithContext(ctx)).Run()
	status := 0
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "socktui:", err)
		status = 1
	}
	if m.rec != nil && o.record != "" { // whatever ended the program, Ctrl-C or SIGTERM
		if err := m.rec.write(o.record); err != nil {
			fmt.Fprintln(os.Stderr, "socktui: the recording:", err)
			return 1
		}
	}
	return status
}
