// Command metrics serves a WebSocket echo at / and its Prometheus metrics at
// /metrics, side by side: sockprom's hooks on a sockhttp server.
//
//	go run ./examples/metrics -addr 127.0.0.1:8080
//	curl -s 127.0.0.1:8080/metrics | grep ^sockkit_
package main

import (
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
	"github.com/sockkit/sockkit/sock/sockprom"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()

	metrics := sockprom.New(nil)
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	echo := sock.HandlerFunc(func(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) })
	ws := sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler { return echo }), &sockhttp.Options{
		Hooks:       metrics.Hooks(),
		ConnOptions: &sock.Options{PingInterval: 15 * time.Second}, // keepalive_rtt_seconds
	})

	mux := http.NewServeMux()
	mux.Handle("/", ws)
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	log.Printf("metrics: echo on ws://%s/, metrics on http://%s/metrics", *addr, *addr)
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
