package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/sockkit/sockkit/cmd/socktui/internal/client"
)

// options are socktui's command line.
type options struct {
	url          string
	headers      list // "Name: value"
	subprotocols list
	origin       string
	auth         string // user:pass
	bearer       string
	insecure     bool
	caFile       string
	certFile     string
	keyFile      string
	proxy        string
	timeout      time.Duration

	noTUI   bool
	execute list // messages sent on connect, in order
	wait    bool // line mode: keep going after stdin ends
	once    bool // line mode: exit after one message
	jsonl   bool // line mode: one JSON object per event

	record    string // the scenario file a session is recorded to
	mask      list   // JSON fields recorded as "<any>"
	noHistory bool   // keep no history of what was sent
	reconnect bool   // reconnect automatically, with backoff
	storeHost string // the host history and snippets are kept under, if not the URL's: "demo"
}

// list is a flag given any number of times.
type list []string

func (l *list) String() string     { return strings.Join(*l, ", ") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

// usage is the first part of -help.
const usage = `socktui: a terminal client for WebSocket servers.

  socktui [flags] [URL]          poke URL (ws://, wss://; no scheme means ws://);
                                 with no URL, a demo server's echo endpoint
  socktui run FILE --url URL     replay a recorded scenario against URL, headless

With a terminal, socktui is interactive (press ? for its keys); with pipes,
or --no-tui, each line of input is a text message and each message
received a line of output.

Flags:
`

// parseFlags reads args: flags and at most one URL, in any order.
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("socktui", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.Var(&o.headers, "H", "a header for the upgrade request, `Name: value` (repeatable)")
	fs.Var(&o.subprotocols, "s", "a subprotocol to offer (repeatable, in order of preference)")
	fs.StringVar(&o.origin, "origin", "", "the Origin header")
	fs.StringVar(&o.auth, "auth", "", "basic authentication, `user:pass`")
	fs.StringVar(&o.bearer, "bearer", "", "a bearer `token` for the Authorization header")
	fs.BoolVar(&o.insecure, "k", false, "accept any TLS certificate (insecure)")
	fs.StringVar(&o.caFile, "ca", "", "PEM `file` of the certificate authorities to trust")
	fs.StringVar(&o.certFile, "cert", "", "PEM `file` of a client certificate (with --key)")
	fs.StringVar(&o.keyFile, "key", "", "PEM `file` of the client certificate's key")
	fs.StringVar(&o.proxy, "proxy", "", "an HTTP proxy `URL`")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "how long the handshake may take")
	fs.BoolVar(&o.noTUI, "no-tui", false, "line mode even on a terminal")
	fs.Var(&o.execute, "x", "a text message to send once connected (repeatable, in order)")
	fs.BoolVar(&o.wait, "w", false, "line mode: keep the connection once input ends")
	fs.BoolVar(&o.once, "1", false, "line mode: exit after the first message received")
	fs.BoolVar(&o.jsonl, "jsonl", false, "line mode: print each event as a JSON object")
	fs.BoolVar(&o.reconnect, "reconnect", false, "reconnect automatically when the connection ends, with backoff")
	fs.BoolVar(&o.noHistory, "no-history", false, "keep no history of the messages sent (it is kept per endpoint otherwise)")
	fs.StringVar(&o.record, "record", "", "record the session to this scenario `file`")
	fs.Var(&o.mask, "mask", "a JSON `field` to record as \"<any>\": a time, an id (repeatable)")
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if o.url != "" {
			return nil, fmt.Errorf("two URLs: %s and %s", o.url, args[0])
		}
		o.url, args = args[0], args[1:]
	}
	if (o.certFile == "") != (o.keyFile == "") {
		return nil, errors.New("--cert and --key go together")
	}
	return o, nil
}

// config turns the options into the client's configuration.
func (o *options) config() (client.Config, error) {
	cfg := client.Config{URL: o.url, Header: http.Header{}, Subprotocols: o.subprotocols, Timeout: o.timeout}
	for _, h := range o.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return cfg, fmt.Errorf("header %q: want Name: value", h)
		}
		cfg.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	if o.origin != "" {
		cfg.Header.Set("Origin", o.origin)
	}
	switch {
	case o.auth != "" && o.bearer != "":
		return cfg, errors.New("--auth and --bearer both set the Authorization header: choose one")
	case o.auth != "":
		cfg.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(o.auth)))
	case o.bearer != "":
		cfg.Header.Set("Authorization", "Bearer "+o.bearer)
	}
	if o.insecure || o.caFile != "" || o.certFile != "" {
		cfg.TLS = &tls.Config{InsecureSkipVerify: o.insecure} //nolint:gosec // the user asked for it with -k
		if o.caFile != "" {
			pem, err := os.ReadFile(o.caFile)
			if err != nil {
				return cfg, err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return cfg, fmt.Errorf("%s holds no PEM certificate", o.caFile)
			}
			cfg.TLS.RootCAs = pool
		}
		if o.certFile != "" {
			cert, err := tls.LoadX509KeyPair(o.certFile, o.keyFile)
			if err != nil {
				return cfg, err
			}
			cfg.TLS.Certificates = []tls.Certificate{cert}
		}
	}
	if o.proxy != "" {
		p, err := url.Parse(o.proxy)
		if err != nil {
			return cfg, fmt.Errorf("--proxy: %v", err)
		}
		cfg.Proxy = http.ProxyURL(p)
	}
	return cfg, nil
}
