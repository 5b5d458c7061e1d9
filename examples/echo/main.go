// Command echo serves a WebSocket echo handler: every text message comes back
// as text, every binary message as binary.
//
//	go run ./examples/echo -addr 127.0.0.1:8080 [-max-message BYTES] [-host gorilla|gws]
//
// It is the smallest complete use of sockkit: a handler, the sockhttp
// adapter, and a graceful shutdown on Ctrl-C that closes every connection
// with 1001.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockgws"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// echo sends every message back as it came.
type echo struct{}

func (echo) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) }

// newServer returns the WebSocket server: echo for every connection,
// messages up to maxMessage bytes (0: sock's default), on host (nil:
// gorilla/websocket).
func newServer(maxMessage int64, host sockhttp.Host) *sockhttp.Server {
	return sockhttp.NewServer(func(*http.Request) (sockhttp.Accept, error) {
		return sockhttp.Accept{Handler: echo{}}, nil
	}, &sockhttp.Options{Host: host, ConnOptions: &sock.Options{MaxMessageSize: maxMessage}})
}

// newHTTPServer returns the HTTP server for h. Its timeouts bound plain HTTP
// requests, so that a client cannot hold a connection by sending its header
// or body slowly, or by idling between requests. They do not bound WebSocket
// connections: the upgrade clears the connection's deadlines, and sock
// watches the connection itself (sock.Options: IdleTimeout, WriteTimeout).
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       time.Minute,
	}
}

// serve serves srv on l until ctx ends, then shuts srv and ws, the
// WebSocket server behind srv's handler, down within grace.
func serve(ctx context.Context, l net.Listener, srv *http.Server, ws *sockhttp.Server, grace time.Duration) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}

	shutdown, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	// srv.Shutdown does not know upgraded connections, and waits for the
	// plain requests in flight: the WebSocket connections get their 1001 at
	// once, from ws.Shutdown, which srv.Shutdown starts in a goroutine of
	// its own. Both wait for their connections until the same deadline.
	wsDone := make(chan error, 1)
	srv.RegisterOnShutdown(func() { wsDone <- ws.Shutdown(shutdown) })
	err := srv.Shutdown(shutdown)
	<-served // http.ErrServerClosed
	// Either side's error is the deadline's: return it if either ran out.
	return cmp.Or(err, <-wsDone)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	maxMessage := flag.Int64("max-message", 0, "largest message in bytes (0: sock's default, 1 MiB)")
	hostName := flag.String("host", "gorilla", "the WebSocket library under the server: gorilla or gws")
	flag.Parse()
	if *maxMessage < 0 {
		fmt.Fprintln(os.Stderr, "echo: -max-message must not be negative")
		os.Exit(2)
	}
	var host sockhttp.Host // gorilla, sockhttp's own
	switch *hostName {
	case "gorilla":
	case "gws":
		host = sockgws.Host(nil)
	default:
		fmt.Fprintf(os.Stderr, "echo: -host %s: gorilla or gws\n", *hostName)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	context.AfterFunc(ctx, stop) // a second Ctrl-C ends the program at once

	l, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	ws := newServer(*maxMessage, host)
	fmt.Printf("echo: serving ws://%s/\n", l.Addr())
	if err := serve(ctx, l, newHTTPServer(ws), ws, 10*time.Second); err != nil {
		log.Fatalf("echo: %v", err)
	}
}
