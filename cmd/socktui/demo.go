package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/sockkit/sockkit/examples/chat/room"
	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// demo is the server socktui starts when given no URL: sock handlers behind
// sockhttp on a loopback port: /echo, /clock, and the chat of examples/chat
// at /chat?nick=NAME.
type demo struct {
	URL  string // ws://127.0.0.1:PORT
	http *http.Server
	ws   []*sockhttp.Server
}

// echo sends every message back as it came.
type echo struct{}

func (echo) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) }

// clock pushes the time every second, and answers "stop" by closing.
type clock struct{}

func (clock) Init(c *sock.Conn) sock.Result {
	c.After(time.Second, clockTick{})
	return sock.Push(sock.Text(c.Now().Format(time.TimeOnly)))
}

type clockTick struct{}

func (clock) HandleInfo(c *sock.Conn, info any) sock.Result {
	if _, ok := info.(clockTick); !ok {
		return sock.Continue()
	}
	c.After(time.Second, clockTick{})
	return sock.Push(sock.Text(c.Now().Format(time.TimeOnly)))
}

func (clock) HandleIn(_ *sock.Conn, msg sock.Frame) sock.Result {
	if string(msg.Payload) == "stop" {
		return sock.Close(sock.CloseNormal, "stopped")
	}
	return sock.Continue()
}

// startDemo serves the demo on a loopback port until stop.
func startDemo() (*demo, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &demo{URL: "ws://" + l.Addr().String()}
	// The demo runs in socktui's process: its servers must not write their
	// logs over the terminal.
	quiet := &sockhttp.Options{ConnOptions: &sock.Options{Logger: slog.New(slog.DiscardHandler)}}
	mux := http.NewServeMux()
	for path, newHandler := range map[string]func() sock.Handler{
		"/echo":  func() sock.Handler { return echo{} },
		"/clock": func() sock.Handler { return clock{} },
	} {
		ws := sockhttp.NewServer(sockhttp.AcceptAll(newHandler), quiet)
		d.ws = append(d.ws, ws)
		mux.Handle(path, ws)
	}
	chat := room.NewServer(50, nil, quiet)
	d.ws = append(d.ws, chat)
	mux.Handle("/chat", chat)
	d.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go d.http.Serve(l)
	return d, nil
}

// stop closes every connection with 1001 and the listener.
func (d *demo) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, ws := range d.ws {
		ws.Shutdown(ctx)
	}
	d.http.Close()
}
