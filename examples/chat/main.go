// Command chat serves a chat over WebSocket: rooms, nicknames, join and
// leave notices, and each room's last messages for whoever joins — the
// sock/registry at work.
//
//	go run ./examples/chat -addr 127.0.0.1:8080
//	go run ./cmd/socktui 'ws://127.0.0.1:8080/?nick=ada'
//
// Send text to talk; "/join ROOM" changes room, "/who" lists it.
//
// Several chat servers make one chat through a NATS server with JetStream
// (2.11 or later): start each with -nats nats://HOST:4222.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sockkit/sockkit/examples/chat/room"
	"github.com/sockkit/sockkit/sock/registry"
	"github.com/sockkit/sockkit/sock/registry/natsregistry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "the address to serve on")
	history := flag.Int("history", 50, "how many lines each room keeps for whoever joins")
	natsURL := flag.String("nats", "", "a NATS server to make one chat with the other servers on it")
	flag.Parse()
	if err := run(*addr, *history, *natsURL); err != nil {
		log.Fatal(err)
	}
}

// run serves the chat until an interrupt, then closes every connection
// with 1001 and leaves the cluster, if there is one.
func run(addr string, history int, natsURL string) error {
	var cluster registry.Cluster // none: a chat on its own
	if natsURL != "" {
		nc, err := nats.Connect(natsURL, nats.Name("sockkit chat"), nats.MaxReconnects(-1))
		if err != nil {
			return err
		}
		defer nc.Close()
		c, err := natsregistry.New(nc, &natsregistry.Options{Prefix: "chat", Buckets: "chat", Codec: natsregistry.JSON(room.Line(""))})
		if err != nil {
			return err
		}
		defer c.Close()
		cluster = c
	}
	ws := room.NewServer(history, cluster, nil)
	srv := &http.Server{Addr: addr, Handler: ws, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, os.Interrupt)
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx) // no new connections
		ws.Shutdown(ctx)  // every member gets 1001
		close(done)
	}()
	log.Printf("chat on ws://%s/?nick=NAME", addr)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	<-done
	return nil
}
