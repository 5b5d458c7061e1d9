// Command echo serves a WebSocket echo handler: every text message comes back
// as text, every binary message as binary.
//
//	go run ./examples/echo -addr 127.0.0.1:8080 [-max-message BYTES]
//
// It is the smallest complete use of sockkit: a handler, the sockhttp
// adapter, and a graceful shutdown on Ctrl-C that closes every connection
// with 1001.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// echo sends every message back as it came.
type echo struct{}

func (echo) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) }

// newServer returns the WebSocket server: echo for every connection,
// messages up to maxMessage bytes (0: sock's default).
func newServer(maxMessage int64) *sockhttp.Server {
	return sockhttp.NewServer(func(*http.Request) (sockhttp.Accept, error) {
		return sockhttp.Accept{Handler: echo{}}, nil
	}, &sockhttp.Options{ConnOptions: &sock.Options{MaxMessageSize: maxMessage}})
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	maxMessage := flag.Int64("max-message", 0, "largest message in bytes (0: sock's default, 1 MiB)")
	flag.Parse()
	if *maxMessage < 0 {
		fmt.Fprintln(os.Stderr, "echo: -max-message must not be negative")
		os.Exit(2)
	}

	ws := newServer(*maxMessage)

	srv := &http.Server{Addr: *addr, Handler: ws, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		<-ctx.Done()
		stop() // a second Ctrl-C ends the program at once
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
		_ = ws.Shutdown(shutdown)
	}()

	fmt.Printf("echo: serving ws://%s/\n", *addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
	<-closed // let the WebSocket connections finish closing
}
