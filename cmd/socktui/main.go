// Command socktui is a terminal client for WebSocket servers: it pokes a
// live endpoint, shows every frame and the handshake, records the session
// as a scenario file, and replays one headlessly.
//
//	go run ./cmd/socktui                     the demo server's echo endpoint
//	go run ./cmd/socktui ws://host/path      any endpoint
//	go run ./cmd/socktui run FILE --url URL  replay a recording
//
// With a terminal it is interactive; with pipes, or --no-tui, it is a line
// client as websocat and wscat are. Run it with -help for its flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sockkit/sockkit/cmd/socktui/internal/client"
	"github.com/sockkit/sockkit/internal/wsurl"
)

func main() {
	os.Exit(socktui(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// socktui runs the command and returns its exit status.
func socktui(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "run" {
		return replay(args[1:], stdout, stderr)
	}
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "socktui:", err)
		return 2
	}
	var d *demo
	if o.url == "" {
		if d, err = startDemo(); err != nil {
			fmt.Fprintln(stderr, "socktui:", err)
			return 1
		}
		defer d.stop()
		o.url, o.storeHost = d.URL+"/echo", "demo"
	}
	cfg, err := o.config()
	if err != nil {
		fmt.Fprintln(stderr, "socktui:", err)
		return 2
	}
	u, err := wsurl.Parse(o.url)
	if err != nil {
		fmt.Fprintln(stderr, "socktui:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.noTUI || !isTerminal(stdin) || !isTerminal(stdout) {
		var rec *recorder
		if o.record != "" {
			rec = newRecorder(o.mask)
			rec.connect("c1", rec.start, u, cfg.Header, cfg.Subprotocols)
		}
		c, err := client.Dial(ctx, cfg)
		if err != nil {
			fmt.Fprintln(stderr, "socktui:", err)
			return 2
		}
		status := lineMode(ctx, c, o, rec, stdin, stdout, stderr)
		if rec != nil {
			if err := rec.write(o.record); err != nil {
				fmt.Fprintln(stderr, "socktui:", err)
				return 1
			}
		}
		return status
	}
	return interactive(ctx, cfg, o, d)
}

// isTerminal reports whether f is a terminal (a character device).
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	info, err := file.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
