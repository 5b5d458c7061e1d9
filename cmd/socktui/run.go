package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"

	"github.com/sockkit/sockkit/scenarios"
	"github.com/sockkit/sockkit/sockt"
)

// replay runs "socktui run FILE [--url URL] [-k]": the scenario, headless,
// against URL (the demo server when none is given). It returns the exit
// status: 0 if every expectation was met, 1 if not, 2 for a usage error.
func replay(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("socktui run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	u := fs.String("url", "", "the server's `URL`; its path is replaced by each connect step's target (default: the demo server)")
	insecure := fs.Bool("k", false, "accept any TLS certificate (insecure)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: socktui run FILE [--url URL] [-k]")
		fs.PrintDefaults()
	}
	var file string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if args = fs.Args(); len(args) > 0 {
			if file != "" {
				fs.Usage()
				return 2
			}
			file, args = args[0], args[1:]
		}
	}
	if file == "" {
		fs.Usage()
		return 2
	}
	s, err := scenarios.ReadFile(file)
	if err != nil {
		fmt.Fprintln(stderr, "socktui:", err)
		return 2
	}
	target := *u
	if target == "" {
		d, err := startDemo()
		if err != nil {
			fmt.Fprintln(stderr, "socktui:", err)
			return 1
		}
		defer d.stop()
		target = d.URL
	}
	opts := &scenarios.Options{URL: target}
	if *insecure {
		opts.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for it with -k
	}
	failures := sockt.Failures(func(t sockt.TB) { scenarios.Replay(t, nil, s, opts) })
	if len(failures) > 0 {
		for _, f := range failures {
			fmt.Fprintln(stdout, f)
		}
		fmt.Fprintf(stdout, "FAIL %s against %s\n", file, target)
		return 1
	}
	fmt.Fprintf(stdout, "ok %s against %s: %d steps\n", file, target, len(s.Steps()))
	return 0
}
