// Command chat serves a chat over WebSocket: rooms, nicknames, join and
// leave notices, and each room's last messages for whoever joins — the
// sock/registry at work.
//
//	go run ./examples/chat -addr 127.0.0.1:8080
//	go run ./cmd/socktui 'ws://127.0.0.1:8080/?nick=ada'
//
// Send text to talk; "/join ROOM" changes room, "/who" lists it.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/sockkit/sockkit/examples/chat/room"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "the address to serve on")
	history := flag.Int("history", 50, "how many lines each room keeps for whoever joins")
	flag.Parse()

	ws := room.NewServer(*history)
	srv := &http.Server{Addr: *addr, Handler: ws, ReadHeaderTimeout: 5 * time.Second}
	srv.RegisterOnShutdown(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ws.Shutdown(ctx) // every member gets 1001
	})
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, os.Interrupt)
		<-stop
		srv.Shutdown(context.Background())
	}()
	log.Printf("chat on ws://%s/?nick=NAME", *addr)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
