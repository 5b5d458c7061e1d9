package main

import (
	"context"
	"fmt"
	"os"

	tea "charm.land/bubbletea/v2"

	"github.com/sockkit/sockkit/cmd/socktui/internal/client"
)

// interactive runs the terminal interface until the user quits, and
// returns the exit status.
func interactive(ctx context.Context, cfg client.Config, o *options, d *demo) int {
	m := newModel(ctx, cfg, o)
	if d != nil {
		m.note("demo server at " + d.URL + ": /echo echoes, /clock pushes the time every second")
	}
	if _, err := tea.NewProgram(m, tea.WithContext(ctx)).Run(); err != nil {
		fmt.Fprintln(os.Stderr, "socktui:", err)
		return 1
	}
	return 0
}
